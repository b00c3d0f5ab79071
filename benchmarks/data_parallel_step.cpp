// Full SSL training steps (TrainStep, as the trainer runs them) on every rank of an MPI job, each
// rank with its own random batch of the config's per-rank size: the weak-scaling measurement, and
// how much of the gradient all-reduce hides behind backward (from the reducer's timeline).
//   mpirun -np N data_parallel_step CONFIG STEPS WARMUP THREADS
// Rank 0 prints one JSON line: ranks, median step seconds (slowest rank), global images/s, and
// per step: backward seconds, all-reduce busy seconds, seconds exposed after backward, hidden
// share.
#include <mpi.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "benchmarks/median.h"
#include "benchmarks/random_ssl_batch.h"
#include "trainer/config/resolve.h"
#include "trainer/distributed/mpi_communicator.h"
#include "trainer/distributed/mpi_runtime.h"
#include "trainer/optim/schedules.h"
#include "trainer/ssl/student_teacher.h"
#include "trainer/system/heap_policy.h"
#include "trainer/train/train_step.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

using pathodino::bench::median;

}  // namespace

int main(int argc, char** argv) {
  using namespace pathodino;
  system::keep_freed_memory_in_heap();
  distributed::MpiRuntime mpi(&argc, &argv);
  if (argc != 5) {
    std::fprintf(stderr, "usage: data_parallel_step CONFIG STEPS WARMUP THREADS\n");
    return 2;
  }
  const ExperimentConfig config = config::resolve_config(argv[1]);
  const int steps = std::stoi(argv[2]), warmup = std::stoi(argv[3]);
  torch::set_num_threads(std::stoi(argv[4]));
  {
    distributed::MpiCommunicator comm(mpi.world(), 600.0);
    const auto& d = config.data;
    const int64_t b = d.batch_size_per_rank, world = mpi.world_size();
    torch::manual_seed(0);
    ssl::StudentTeacher model(config.model, config.ssl, d.global_crops_size, 0);
    train::DataParallel parallel;
    parallel.comm = &comm;
    parallel.buckets.first_bucket_bytes =
        static_cast<int64_t>(config.distributed.first_bucket_mb * (1 << 20));
    parallel.buckets.bucket_bytes = static_cast<int64_t>(config.distributed.bucket_mb * (1 << 20));
    parallel.zero1 = config.distributed.zero1;
    train::TrainStep step(model, config.optim, 1000, false, parallel);
    const auto schedules = optim::make_training_schedules(config.optim, config.ssl, b * world);
    torch::manual_seed(1 + mpi.rank());
    ssl::SslBatch batch = bench::random_ssl_batch(config, b);
    std::vector<double> step_s, backward_s, busy_s, exposed_s, hidden, optimizer_s;
    std::map<std::string, std::vector<double>> phase_s;  // rank 0's own phases, by name
    for (int i = 0; i < warmup + steps; ++i) {
      bench::set_step_masks(batch, config, b * world, i, mpi.rank() * b);
      MPI_Barrier(mpi.world());
      const auto start = Clock::now();
      const auto result = step(batch, 20 + i, train::step_values(schedules, 20 + i));
      const auto finished = Clock::now();
      double mine = seconds(start, finished), slowest = 0;
      MPI_Allreduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, mpi.world());
      if (!result.applied) {
        std::fprintf(stderr, "step %d was skipped as non-finite\n", i);
        return 1;
      }
      if (i < warmup) continue;
      step_s.push_back(slowest);
      for (const train::PhaseSpan& phase : result.phases)
        phase_s[phase.name].push_back(seconds(phase.start, phase.end));
      // After backward's buckets: clipping, AdamW and (ZeRO-1) the parameter all-gather, EMA.
      if (const distributed::GradientReducer* reducer = step.reducer())
        optimizer_s.push_back(seconds(reducer->last_timeline().all_done, finished));
      if (const distributed::GradientReducer* reducer = step.reducer()) {
        const distributed::ReduceTimeline& t = reducer->last_timeline();
        double busy = 0;
        for (const auto& bucket : t.buckets) busy += seconds(bucket.started, bucket.finished);
        const double exposed = seconds(t.backward_end, t.all_done);
        backward_s.push_back(seconds(t.backward_begin, t.backward_end));
        busy_s.push_back(busy);
        exposed_s.push_back(exposed);
        hidden.push_back(busy > 0 ? std::clamp(1.0 - exposed / busy, 0.0, 1.0) : 0.0);
      }
    }
    if (mpi.rank() == 0) {
      const double m = median(step_s);
      std::printf(
          "{\"ranks\": %lld, \"batch_per_rank\": %lld, \"step_s\": %.4f, \"images_per_s\": %.4f, "
          "\"backward_s\": %.4f, \"allreduce_busy_s\": %.4f, \"exposed_s\": %.4f, "
          "\"hidden_share\": %.3f, \"zero1\": %s, \"after_backward_s\": %.4f, \"step_s_all\": [",
          static_cast<long long>(world), static_cast<long long>(b), m,
          static_cast<double>(b * world) / m, median(backward_s), median(busy_s), median(exposed_s),
          median(hidden), parallel.zero1 ? "true" : "false",
          optimizer_s.empty() ? 0.0 : median(optimizer_s));
      for (size_t i = 0; i < step_s.size(); ++i) std::printf("%s%.4f", i ? ", " : "", step_s[i]);
      std::printf("], \"rank0_phase_s\": {");
      const char* separator = "";
      for (const auto& [name, values] : phase_s) {
        std::printf("%s\"%s\": %.4f", separator, name.c_str(), median(values));
        separator = ", ";
      }
      std::printf("}}\n");
    }
  }
  return 0;
}
