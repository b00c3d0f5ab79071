// GradientReducer: data-parallel gradient averaging, overlapped with backward (PyTorch DDP's
// reducer, for LibTorch C++). Parameters are laid out in buckets in reverse registration order —
// roughly the order backward produces their gradients — with a small first bucket (~1 MiB) so
// communication starts early, then ~25 MiB buckets. Each parameter's .grad is a view into its
// bucket, so there is no copy in or out. As soon as the last gradient of a bucket has been
// accumulated, the bucket is (optionally) divided by the world size and its all-reduce starts while
// backward goes on. Buckets start in index order on every rank (a bucket that is ready early waits
// for its predecessors), which keeps the ranks' collectives matched.
//
// Per optimizer step:  zero_grad() → { begin_backward(last micro-step?) → backward } × micro-steps
//                      → finish_backward() → read gradients.
// On accumulation micro-steps (reduce = false) gradients only accumulate locally; the reduction
// happens once, on the last micro-step.
//
// With `reduce_scatter` (ZeRO-1, see optimizer_shards.h) each bucket is padded to a multiple of
// the world size and reduce-scattered instead: rank r receives the summed chunk r of every bucket
// (reduced_chunk), and the .grad views keep this rank's own, unreduced gradients.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "trainer/distributed/communicator.h"

namespace pathodino::distributed {

struct ReducerOptions {
  int64_t first_bucket_bytes = 1 << 20;
  int64_t bucket_bytes = 25 << 20;
  // true: gradients are divided by the world size before the sum (one pass over each bucket).
  // false: plain sum — for callers that fold 1/world into the loss, as TrainStep does, which saves
  // that pass.
  bool average = true;
  bool reduce_scatter = false;  // ZeRO-1: each rank receives only its chunk of every bucket
};

// Where each parameter's gradient sits: bucket by bucket, members back to back from offset 0,
// then zero padding up to `numel` (a multiple of the world size under reduce_scatter).
struct BucketLayout {
  std::vector<size_t> members;   // indices into the reducer's parameters
  std::vector<int64_t> offsets;  // of each member, in elements
  int64_t numel = 0;
};

// One step's communication, for the overlap benchmark and tests.
struct ReduceTimeline {
  using TimePoint = std::chrono::steady_clock::time_point;
  TimePoint backward_begin, backward_end, all_done;
  struct Bucket {
    TimePoint started, finished;
    bool started_in_backward = false;  // launched by a hook, not by finish_backward()
  };
  std::vector<Bucket> buckets;
};

class GradientReducer {
 public:
  GradientReducer(std::vector<torch::Tensor> parameters, Communicator& comm,
                  ReducerOptions options);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  void zero_grad();
  void begin_backward(bool reduce);
  // Starts the buckets not started yet (gradients a step did not produce count as zero), waits
  // for all, and leaves the averaged gradients in .grad.
  void finish_backward();

  int64_t bucket_count() const;
  std::vector<int64_t> bucket_sizes_bytes() const;
  std::vector<BucketLayout> layout() const;
  // reduce_scatter: this rank's chunk of bucket b, summed over ranks (after finish_backward).
  const torch::Tensor& reduced_chunk(size_t bucket) const;
  const ReduceTimeline& last_timeline() const { return timeline_; }

 private:
  struct Bucket;
  void on_gradient_ready(size_t bucket);
  void start_ready_buckets();  // with mutex_ held

  Communicator& comm_;
  std::vector<torch::Tensor> parameters_;
  std::vector<Bucket> buckets_;
  std::mutex mutex_;
  bool reducing_ = false;
  size_t next_to_start_ = 0;
  ReduceTimeline timeline_;
  bool average_, reduce_scatter_;
};

}  // namespace pathodino::distributed
