// Bucketed gradient all-reduce (GradientReducer over MpiCommunicator, as TrainStep uses it: comm
// thread, blocking tuned MPI collectives) against raw blocking MPI_Allreduce of the same bytes —
// once as one buffer, once bucket by bucket — on the gradients of a real model. Rounds are
// interleaved, and which of the three goes first rotates from round to round.
//   mpirun -np 2 allreduce_bandwidth CONFIG ROUNDS
// Rank 0 prints one JSON line with seconds per round (median), bandwidths, and the reducer's own
// time outside the transfers.
#include <mpi.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include "benchmarks/median.h"
#include "trainer/config/resolve.h"
#include "trainer/distributed/gradient_reducer.h"
#include "trainer/distributed/mpi_communicator.h"
#include "trainer/distributed/mpi_runtime.h"
#include "trainer/ssl/student_teacher.h"
#include "trainer/system/heap_policy.h"

namespace {

using Clock = std::chrono::steady_clock;

using pathodino::bench::median;

template <typename F>
double timed(MPI_Comm comm, F&& f) {
  MPI_Barrier(comm);
  const auto start = Clock::now();
  f();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count(), slowest = 0;
  MPI_Allreduce(&seconds, &slowest, 1, MPI_DOUBLE, MPI_MAX, comm);
  return slowest;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace pathodino;
  system::keep_freed_memory_in_heap();  // as `pathodino train` does: MPI's temporary buffers
                                        // would otherwise be fresh mmaps, page-faulted per call
  distributed::MpiRuntime mpi(&argc, &argv);
  if (argc != 3) {
    std::fprintf(stderr, "usage: allreduce_bandwidth CONFIG ROUNDS\n");
    return 2;
  }
  const ExperimentConfig config = config::resolve_config(argv[1]);
  const int rounds = std::stoi(argv[2]);
  torch::set_num_threads(1);
  {
    distributed::MpiCommunicator comm(mpi.world(), 600.0);
    ssl::StudentTeacher model(config.model, config.ssl, config.data.global_crops_size, 0);
    std::vector<torch::Tensor> params = model.student().parameters();
    distributed::ReducerOptions options;
    options.first_bucket_bytes =
        static_cast<int64_t>(config.distributed.first_bucket_mb * (1 << 20));
    options.bucket_bytes = static_cast<int64_t>(config.distributed.bucket_mb * (1 << 20));
    options.average = false;  // as TrainStep uses it (1/world folded into the loss)
    distributed::GradientReducer reducer(params, comm, options);
    int64_t total = 0;
    for (const auto& p : params) total += p.numel();
    auto flat = torch::randn({total});
    // The buckets hold gradient-like random numbers, as the raw buffers do — not the zeros the
    // reducer starts with (benchmarks/RESULTS.md, "Data parallel over MPI").
    for (torch::Tensor& p : params)
      if (p.grad().defined()) p.mutable_grad().normal_();
    std::vector<torch::Tensor> per_bucket;
    for (int64_t bytes : reducer.bucket_sizes_bytes())
      per_bucket.push_back(torch::randn({bytes / 4}));

    std::vector<double> ours, raw_one, raw_buckets, outside_transfers;
    for (int r = 0; r < rounds + 1; ++r) {  // round 0 warms up
      // The three take turns at going first, so that no fixed order favours one of them (each
      // would otherwise always run right after the same other one).
      const std::function<void()> runs[3] = {
          [&] {
            reducer.begin_backward(true);
            reducer.finish_backward();  // no hooks fired: every bucket launched here, in order
          },
          [&] {
            MPI_Allreduce(MPI_IN_PLACE, flat.data_ptr(), static_cast<int>(total), MPI_FLOAT,
                          MPI_SUM, mpi.world());
          },
          [&] {
            for (auto& t : per_bucket)
              MPI_Allreduce(MPI_IN_PLACE, t.data_ptr(), static_cast<int>(t.numel()), MPI_FLOAT,
                            MPI_SUM, mpi.world());
          }};
      double took[3];
      for (int k = 0; k < 3; ++k) {
        const int which = (r + k) % 3;
        took[which] = timed(mpi.world(), runs[which]);
      }
      const double a = took[0], b = took[1], c = took[2];
      if (r == 0) continue;
      // The reducer's own cost, apart from the transfers' noise: rank 0's time in
      // finish_backward() outside the buckets' MPI_Allreduce calls (hand-off to the comm thread,
      // the arrival handshakes, waking the caller).
      const auto& timeline = reducer.last_timeline();
      using Seconds = std::chrono::duration<double>;
      double transfers = 0;
      for (const auto& bucket : timeline.buckets)
        transfers += Seconds(bucket.finished - bucket.started).count();
      outside_transfers.push_back(Seconds(timeline.all_done - timeline.backward_end).count() -
                                  transfers);
      ours.push_back(a);
      raw_one.push_back(b);
      raw_buckets.push_back(c);
    }
    if (mpi.rank() == 0) {
      const double bytes = static_cast<double>(total) * 4;
      std::printf(
          "{\"ranks\": %d, \"bytes\": %.0f, \"buckets\": %lld, \"reducer_s\": %.5f, "
          "\"raw_one_buffer_s\": %.5f, \"raw_per_bucket_s\": %.5f, \"reducer_GBps\": %.3f, "
          "\"raw_one_buffer_GBps\": %.3f, \"raw_per_bucket_GBps\": %.3f, "
          "\"ratio_vs_one_buffer\": %.3f, \"ratio_vs_per_bucket\": %.3f, "
          "\"rank0_outside_transfers_s\": %.5f, \"reducer_own_share\": %.4f}\n",
          mpi.world_size(), bytes, static_cast<long long>(reducer.bucket_count()), median(ours),
          median(raw_one), median(raw_buckets), bytes / median(ours) / 1e9,
          bytes / median(raw_one) / 1e9, bytes / median(raw_buckets) / 1e9,
          median(raw_one) / median(ours), median(raw_buckets) / median(ours),
          median(outside_transfers), median(outside_transfers) / median(ours));
    }
  }
  return 0;
}
