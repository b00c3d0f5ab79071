// `pathodino checkpoint verify PATH [--public-key P]`: reads every tensor of a checkpoint and
// checks it against the manifest (presence, dtype, shape, XXH3 checksum); with a public key, the
// manifest's signature and every shard's SHA-256 first (Note [Signed checkpoints]); encrypted
// shards need --encryption-key; exit 0 when sound, 1 naming the file and tensor at fault.
// `pathodino checkpoint list RUN_DIR`: the run's complete checkpoints and which one `latest` names.
// For operators and the crash-safety test.
#include <CLI/CLI.hpp>

#include <iostream>

#include "trainer/checkpoint/checkpoint_directory.h"
#include "trainer/checkpoint/checkpoint_reader.h"
#include "trainer/cli/commands.h"

namespace pathodino::cli {

void add_checkpoint_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("checkpoint", "Inspect and verify checkpoints");
  command->require_subcommand(1);

  auto verify_path = std::make_shared<std::string>();
  auto* verify =
      command->add_subcommand("verify", "Check every tensor of a checkpoint against its manifest");
  verify->add_option("path", *verify_path, "a step directory, or a run / checkpoints directory")
      ->required();
  auto public_key = std::make_shared<std::string>();
  verify
      ->add_option("--public-key", *public_key,
                   "Ed25519 public key file (PEM): the manifest must carry its valid signature")
      ->check(CLI::ExistingFile);
  auto encryption_key = std::make_shared<std::string>();
  verify
      ->add_option("--encryption-key", *encryption_key,
                   "AES-256 key file the shards are encrypted with (checkpoint.encryption_key)")
      ->check(CLI::ExistingFile);
  verify->callback([verify_path, public_key, encryption_key, &exit_code] {
    try {
      const auto dir = checkpoint::resolve_checkpoint_path(*verify_path);
      const checkpoint::CheckpointKeys keys{*public_key, !public_key->empty(), *encryption_key};
      const checkpoint::LoadedCheckpoint loaded = checkpoint::load_checkpoint(dir, {}, keys);
      int64_t bytes = 0;
      for (const auto& [name, tensor] : loaded.tensors) bytes += tensor.nbytes();
      std::cout
          << dir.string() << ": ok, step " << loaded.manifest.step << ", " << loaded.tensors.size()
          << " tensors, " << bytes << " bytes in " << loaded.manifest.shards.size()
          << " shard(s), sample position " << loaded.manifest.sampler.position
          << (public_key->empty() ? std::string() : "; signature and shard SHA-256 sums verified")
          << (loaded.manifest.encryption_key.empty()
                  ? std::string()
                  : "; shards decrypted (AES-256-GCM, key " + loaded.manifest.encryption_key + ")")
          << "\n";
      exit_code = 0;
    } catch (const std::exception& e) {
      std::cerr << "checkpoint verify: " << e.what() << "\n";
      exit_code = 1;
    }
  });

  auto list_path = std::make_shared<std::string>();
  auto* list = command->add_subcommand("list", "List a run's complete checkpoints");
  list->add_option("run_dir", *list_path, "a run directory or its checkpoints directory")
      ->required();
  list->callback([list_path, &exit_code] {
    try {
      std::filesystem::path root = *list_path;
      if (std::filesystem::exists(root / "checkpoints")) root /= "checkpoints";
      const checkpoint::CheckpointDirectory dir(root);
      const auto latest = dir.latest();
      for (int64_t step : dir.complete_steps())
        std::cout << dir.step_path(step).string() << (latest == step ? "  (latest)" : "") << "\n";
      exit_code = 0;
    } catch (const std::exception& e) {
      std::cerr << "checkpoint list: " << e.what() << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace pathodino::cli
