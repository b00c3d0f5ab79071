// `pathodino keys generate --out DIR [--name NAME]`: a new Ed25519 key pair, NAME.pem (private,
// mode 0600) and NAME.pub.pem, never over existing files; prints the key's fingerprint.
// `pathodino keys sign FILE --signing-key K`: writes FILE.sig (embedding files, audit heads, any
// file a data steward hands on). `pathodino keys verify FILE --public-key P`: exit 0 when FILE.sig
// is a valid signature of FILE by that key, 1 naming what is wrong. Note [Signed files].
// `pathodino keys generate-aes --out FILE`: a new AES-256 key file (Note [Encrypted files]).
// `pathodino keys decrypt-features FILE… --encryption-key K --out DIR`: plain copies of encrypted
// feature files (Note [Encrypted feature files]) in DIR, for h5py and the Python tools; exit 1
// naming the first file that fails.
#include <CLI/CLI.hpp>

#include <iostream>

#include "trainer/cli/commands.h"
#include "trainer/features/feature_file.h"
#include "trainer/system/aes_gcm.h"
#include "trainer/system/ed25519.h"

namespace pathodino::cli {
namespace {

struct KeysArgs {
  std::string out_dir;
  std::string name = "signing_key";
  std::string file;
  std::string signing_key;
  std::string public_key;
  std::vector<std::string> files;
};

// Runs `body`; a failure is printed after `what` and sets `exit_code` to `failure`.
template <typename Body>
void run(const char* what, int& exit_code, int failure, Body body) {
  try {
    body();
    exit_code = 0;
  } catch (const std::exception& e) {
    std::cerr << "keys " << what << ": " << e.what() << "\n";
    exit_code = failure;
  }
}

// Each file read with the key and written plain under the same name in --out, never over the
// encrypted file itself.
void add_decrypt_features(CLI::App& command, const std::shared_ptr<KeysArgs>& args,
                          int& exit_code) {
  auto* decrypt = command.add_subcommand(
      "decrypt-features", "Write plain copies of encrypted feature files (pathodino embed)");
  decrypt->add_option("files", args->files, "encrypted .h5 files")
      ->required()
      ->check(CLI::ExistingFile);
  decrypt->add_option("--encryption-key", args->file, "their AES-256 key file")->required();
  decrypt->add_option("--out", args->out_dir, "folder for the plain files")->required();
  decrypt->callback([args, &exit_code] {
    run("decrypt-features", exit_code, 1, [&] {
      const auto key = system::AesKey::load(args->file);
      std::filesystem::create_directories(args->out_dir);
      for (const std::filesystem::path file : args->files) {
        const std::filesystem::path out = args->out_dir / file.filename();
        if (std::filesystem::exists(out) && std::filesystem::equivalent(out, file))
          throw std::invalid_argument(file.string() + ": --out must be another folder");
        features::write_feature_file(out, features::read_feature_file(file, &key));
        std::cout << out.string() << "\n";
      }
    });
  });
}

}  // namespace

void add_keys_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<KeysArgs>();
  auto* command = app.add_subcommand("keys", "Ed25519 keys: generate, sign and verify files");
  command->require_subcommand(1);

  auto* generate = command->add_subcommand("generate", "Write a new Ed25519 key pair (PEM)");
  generate->add_option("--out", args->out_dir, "folder for NAME.pem and NAME.pub.pem")
      ->required()
      ->check(CLI::ExistingDirectory);
  generate->add_option("--name", args->name, "file name stem (default signing_key)");
  generate->callback([args, &exit_code] {
    run("generate", exit_code, 2, [&] {
      const std::filesystem::path dir = args->out_dir;
      const auto key = system::Ed25519Key::generate();
      key.save(dir / (args->name + ".pem"), dir / (args->name + ".pub.pem"));
      std::cout << (dir / (args->name + ".pem")).string() << ": private key (mode 0600)\n"
                << (dir / (args->name + ".pub.pem")).string() << ": public key, fingerprint "
                << key.fingerprint() << "\n";
    });
  });

  auto* aes = command->add_subcommand(
      "generate-aes", "Write a new AES-256 key file (checkpoint.encryption_key), mode 0600");
  aes->add_option("--out", args->file, "the key file to create")->required();
  aes->callback([args, &exit_code] {
    run("generate-aes", exit_code, 2, [&] {
      const auto key = system::AesKey::generate();
      key.save(args->file);
      std::cout << args->file << ": AES-256 key (mode 0600), fingerprint " << key.fingerprint()
                << "\n";
    });
  });

  add_decrypt_features(*command, args, exit_code);

  auto* sign = command->add_subcommand("sign", "Sign a file (writes FILE.sig)");
  sign->add_option("file", args->file, "the file to sign")->required()->check(CLI::ExistingFile);
  sign->add_option("--signing-key", args->signing_key, "Ed25519 private key file (PEM)")
      ->required();
  sign->callback([args, &exit_code] {
    run("sign", exit_code, 2, [&] {
      const auto key = system::Ed25519Key::load_private(args->signing_key);
      system::sign_file(args->file, key);
      std::cout << system::signature_path(args->file).string() << ": signed by key "
                << key.fingerprint() << "\n";
    });
  });

  auto* verify = command->add_subcommand("verify", "Check FILE.sig against FILE and a public key");
  verify->add_option("file", args->file, "the signed file")->required()->check(CLI::ExistingFile);
  verify->add_option("--public-key", args->public_key, "Ed25519 public key file (PEM)")->required();
  verify->callback([args, &exit_code] {
    run("verify", exit_code, 1, [&] {
      const auto key = system::Ed25519Key::load_public(args->public_key);
      system::verify_file_signature(args->file, key);
      std::cout << args->file << ": signature valid, key " << key.fingerprint() << "\n";
    });
  });
}

}  // namespace pathodino::cli
