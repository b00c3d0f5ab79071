// Checkpoint benchmarks, on every rank of an MPI job:
//   (a) throughput — CheckpointWriter::save of a real training state (student, teacher, AdamW
//       moments, centers of the config's model) vs a plain sequential write of the same bytes by
//       each rank (one file, write(2) + fsync, no staging, no checksums); order alternating per
//       round, each write after SETTLE_S seconds of a quiet disk (default 8) and followed by a
//       delete of the same size (the plain file; the checkpoint's retention); ratio = plain
//       seconds / checkpoint seconds (slowest rank each);
//   (b) async stall — STEPS compute steps (1024² fp32 matmuls on the rank's intra-op threads)
//       without a save, then the same steps with an async save started before them and polled
//       after each, as the trainer does; stall = time the save held the compute thread up
//       (staging waits, polls, commit) / the synchronous save's seconds. Also reported: the
//       steps' extra wall time / the synchronous save's seconds, which on a CPU-only machine
//       with every core computing includes the save's own CPU work (page-cache copies, writeback).
//   mpirun -np N checkpoint_write CONFIG DIR ROUNDS STEPS [SETTLE_S]
// Rank 0 prints one JSON line per round and a summary line.
#include <fcntl.h>
#include <mpi.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

#include "benchmarks/checkpoint_state.h"
#include "benchmarks/median.h"
#include "trainer/checkpoint/checkpoint_writer.h"
#include "trainer/checkpoint/shard_plan.h"
#include "trainer/config/resolve.h"
#include "trainer/distributed/mpi_communicator.h"
#include "trainer/distributed/mpi_runtime.h"
#include "trainer/system/heap_policy.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace pathodino;

// A cloud VM's virtual disk writes ~4x faster in the seconds after a large delete than
// otherwise (dd of 704 MB: ~0.3 s vs ~1.2 s), and both writes of a round follow different
// deletes; so each timed write starts after the disk has been quiet for a while.
void settle(double seconds) {
  ::sync();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

using pathodino::bench::median;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

using bench::slowest;

// This rank's share of the state (the same plan as the checkpoint), written plainly.
void plain_write(const std::vector<checkpoint::NamedTensor>& state, int rank, int world,
                 const std::filesystem::path& file) {
  std::vector<int64_t> bytes;
  for (const auto& t : state) bytes.push_back(static_cast<int64_t>(t.tensor.nbytes()));
  const std::vector<int> plan = checkpoint::assign_shards(bytes, world);
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  for (size_t i = 0; i < state.size(); ++i) {
    if (plan[i] != rank) continue;
    const char* p = static_cast<const char*>(state[i].tensor.data_ptr());
    size_t left = state[i].tensor.nbytes();
    while (left > 0) {
      const ssize_t n = ::write(fd, p, left);
      if (n <= 0) throw std::runtime_error("plain write failed");
      p += n;
      left -= static_cast<size_t>(n);
    }
  }
  ::fsync(fd);
  ::close(fd);
}

// Compute steps; with a writer, polled after each step as the trainer does. Returns the blocking
// seconds of the save when it committed during the steps.
double compute_steps(int steps, const torch::Tensor& a, checkpoint::CheckpointWriter* writer) {
  double blocking = 0;
  for (int s = 0; s < steps; ++s) {
    torch::Tensor c = a;
    for (int k = 0; k < 6; ++k) c = torch::mm(c, a) * 1e-3;
    if (writer) writer->wait_until_staged();  // where a training step would update the state
    if (writer && writer->in_flight())
      if (auto outcome = writer->poll()) blocking = outcome->blocking_seconds;
  }
  return blocking;
}

}  // namespace

int main(int argc, char** argv) {
  system::keep_freed_memory_in_heap();  // as `pathodino train` does
  distributed::MpiRuntime mpi(&argc, &argv);
  if (argc != 5 && argc != 6) {
    std::fprintf(stderr, "usage: checkpoint_write CONFIG DIR ROUNDS STEPS [SETTLE_S]\n");
    return 2;
  }
  const ExperimentConfig config = config::resolve_config(argv[1]);
  const std::filesystem::path dir = argv[2];
  const int rounds = std::stoi(argv[3]), steps = std::stoi(argv[4]);
  const double settle_s = argc > 5 ? std::stod(argv[5]) : 8.0;
  const int rank = mpi.rank(), world = mpi.world_size();
  torch::set_num_threads(1);  // cores ÷ ranks, as the trainer sets it here
  {
    distributed::MpiCommunicator comm(mpi.world(), 600.0);
    torch::manual_seed(0);
    const bench::CheckpointedState saved_state(config);
    const std::vector<checkpoint::NamedTensor>& tensors = saved_state.tensors;
    checkpoint::CheckpointOptions options;
    options.keep_last = 1;
    checkpoint::CheckpointWriter writer(checkpoint::CheckpointDirectory(dir / "checkpoints"),
                                        options, comm);
    std::filesystem::create_directories(dir);
    writer.prepare_async(tensors);  // as the trainer does when checkpoint.async_save is on
    const torch::Tensor a = torch::randn({1024, 1024});
    std::vector<double> ratios, stalls, extra_walls;
    int64_t step_number = 0;
    for (int r = 0; r < rounds; ++r) {
      // Alternate which write goes first, so neither always follows the other's writeback.
      double plain = 0, sync = 0;
      checkpoint::SaveOutcome saved;
      checkpoint::Manifest manifest;
      manifest.step = ++step_number;
      for (int which : r % 2 == 0 ? std::vector<int>{0, 1} : std::vector<int>{1, 0}) {
        settle(settle_s);
        MPI_Barrier(mpi.world());
        const auto start = Clock::now();
        const std::filesystem::path plain_file =
            dir / ("plain-" + std::to_string(r) + "-" + std::to_string(rank) + ".bin");
        if (which == 0)  // a new file each round, as each checkpoint is
          plain_write(tensors, rank, world, plain_file);
        else
          saved = writer.save(tensors, manifest);
        (which == 0 ? plain : sync) = slowest(since(start), mpi.world());
        // Each write followed by a delete of the same size, as the checkpoint's retention does
        // (its janitor removes the checkpoint before this one).
        if (which == 0) std::filesystem::remove(plain_file);
      }
      if (!saved.ok) throw std::runtime_error(saved.error);

      MPI_Barrier(mpi.world());
      auto start = Clock::now();
      compute_steps(steps, a, nullptr);
      const double without = slowest(since(start), mpi.world());
      manifest.step = ++step_number;
      MPI_Barrier(mpi.world());
      start = Clock::now();
      writer.start_async(tensors, manifest);
      double blocking = compute_steps(steps, a, &writer);
      const bool committed = !writer.in_flight();
      if (!committed) blocking = writer.finish().blocking_seconds;
      const double total_with = slowest(since(start), mpi.world());
      const double extra_wall = std::max(0.0, total_with - without) / sync;
      const double stall = slowest(blocking, mpi.world()) / sync;
      ratios.push_back(plain / sync);
      stalls.push_back(stall);
      extra_walls.push_back(extra_wall);
      if (rank == 0)
        std::printf(
            "{\"round\": %d, \"bytes\": %lld, \"plain_s\": %.3f, \"checkpoint_s\": %.3f, "
            "\"throughput_ratio\": %.3f, \"steps_without_save_s\": %.3f, "
            "\"steps_with_async_save_s\": %.3f, \"committed_during_steps\": %s, "
            "\"writer_blocking_s\": %.3f, \"async_stall_share_of_sync\": %.3f, "
            "\"extra_wall_share_of_sync\": %.3f}\n",
            r, static_cast<long long>(saved.bytes), plain, sync, plain / sync, without, total_with,
            committed ? "true" : "false", blocking, stall, extra_wall);
    }
    if (rank == 0)
      std::printf(
          "median throughput ratio %.3f (goal >= 0.8), median async stall %.3f of a sync save "
          "(goal <= 0.05), median extra wall time of the steps %.3f of a sync save\n",
          median(ratios), median(stalls), median(extra_walls));
  }
  return 0;
}
