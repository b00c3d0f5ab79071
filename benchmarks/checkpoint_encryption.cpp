// The cost of encryption at rest: CheckpointWriter::save of a real training state (student,
// teacher, AdamW moments, centers of the config's model) by every rank, plain vs with
// checkpoint.encryption_key (AES-256-GCM shards) vs encrypted and signed (Ed25519 manifest and
// each shard's SHA-256), in rotating order per round, each save after SETTLE_S seconds of a quiet
// disk. Ratio = plain seconds / variant seconds (slowest rank each): the variant's throughput as
// a share of the plain save's.
//   mpirun -np N checkpoint_encryption CONFIG DIR ROUNDS [SETTLE_S]
// Rank 0 prints one JSON line per round and a summary line.
#include <mpi.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

#include "benchmarks/checkpoint_state.h"
#include "benchmarks/median.h"
#include "trainer/checkpoint/checkpoint_writer.h"
#include "trainer/config/resolve.h"
#include "trainer/distributed/mpi_communicator.h"
#include "trainer/distributed/mpi_runtime.h"
#include "trainer/system/aes_gcm.h"
#include "trainer/system/ed25519.h"
#include "trainer/system/heap_policy.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace pathodino;

using bench::slowest;

// Keys for the variants, written once by rank 0 into DIR/keys.
checkpoint::CheckpointOptions variant_options(int variant, const std::filesystem::path& keys) {
  checkpoint::CheckpointOptions options;
  options.keep_last = 1;
  if (variant >= 1) options.encryption_key = (keys / "data.key").string();
  if (variant == 2) options.signing_key = (keys / "signing.pem").string();
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  system::keep_freed_memory_in_heap();  // as `pathodino train` does
  distributed::MpiRuntime mpi(&argc, &argv);
  if (argc != 4 && argc != 5) {
    std::fprintf(stderr, "usage: checkpoint_encryption CONFIG DIR ROUNDS [SETTLE_S]\n");
    return 2;
  }
  const ExperimentConfig config = config::resolve_config(argv[1]);
  const std::filesystem::path dir = argv[2], keys = dir / "keys";
  const int rounds = std::stoi(argv[3]);
  const double settle_s = argc > 4 ? std::stod(argv[4]) : 4.0;
  const int rank = mpi.rank();
  torch::set_num_threads(1);
  if (rank == 0) {
    std::filesystem::create_directories(keys);
    system::AesKey::generate().save(keys / "data.key");
    system::Ed25519Key::generate().save(keys / "signing.pem", keys / "signing.pub.pem");
  }
  MPI_Barrier(mpi.world());
  {
    distributed::MpiCommunicator comm(mpi.world(), 600.0);
    torch::manual_seed(0);
    const bench::CheckpointedState saved_state(config);
    const std::vector<checkpoint::NamedTensor>& tensors = saved_state.tensors;
    const char* names[] = {"plain", "encrypted", "encrypted_signed"};
    std::vector<std::unique_ptr<checkpoint::CheckpointWriter>> writers;
    for (int v = 0; v < 3; ++v)
      writers.push_back(std::make_unique<checkpoint::CheckpointWriter>(
          checkpoint::CheckpointDirectory(dir / names[v]), variant_options(v, keys), comm));
    std::vector<double> encrypted_ratios, signed_ratios;
    for (int r = 0; r < rounds; ++r) {
      double seconds[3] = {0, 0, 0};
      int64_t bytes = 0;
      for (int k = 0; k < 3; ++k) {
        const int v = (r + k) % 3;  // each variant goes first in turn
        ::sync();
        std::this_thread::sleep_for(std::chrono::duration<double>(settle_s));
        checkpoint::Manifest manifest;
        manifest.step = r + 1;
        MPI_Barrier(mpi.world());
        const auto start = Clock::now();
        const checkpoint::SaveOutcome saved = writers[v]->save(tensors, manifest);
        seconds[v] =
            slowest(std::chrono::duration<double>(Clock::now() - start).count(), mpi.world());
        if (!saved.ok) throw std::runtime_error(saved.error);
        bytes = saved.bytes;
      }
      encrypted_ratios.push_back(seconds[0] / seconds[1]);
      signed_ratios.push_back(seconds[0] / seconds[2]);
      if (rank == 0)
        std::printf(
            "{\"round\": %d, \"bytes\": %lld, \"plain_s\": %.3f, \"encrypted_s\": %.3f, "
            "\"encrypted_signed_s\": %.3f, \"encrypted_ratio\": %.3f, \"signed_ratio\": %.3f}\n",
            r, static_cast<long long>(bytes), seconds[0], seconds[1], seconds[2],
            encrypted_ratios.back(), signed_ratios.back());
    }
    if (rank == 0)
      std::printf(
          "median throughput of an encrypted save %.3f of the plain save's (goal >= 0.8); "
          "encrypted and signed %.3f\n",
          bench::median(encrypted_ratios), bench::median(signed_ratios));
  }
  return 0;
}
