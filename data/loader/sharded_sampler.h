// ShardedSampler: which images each rank reads at each step. The global sample stream is an
// endless sequence of per-epoch permutations of the dataset (seeded by (seed, epoch)). A step's
// global batch is world × A micro-batches of B consecutive positions (A = micro-batches per step,
// for gradient accumulation); micro-batch m of rank r is slot block r·A + m. So 2 ranks × B,
// 1 rank × 2B and 1 rank × 2 micro-batches of B all see the same images in the same slots.
// Stateless in the micro-batch number, so resuming needs nothing but the step, and no two ranks
// ever share an image within an epoch.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

namespace pathodino::data {

class ShardedSampler {
 public:
  ShardedSampler(int64_t dataset_size, int64_t rank, int64_t world_size, uint64_t seed,
                 int64_t micro_batches_per_step = 1);
  ShardedSampler(const ShardedSampler& other);

  // Dataset indices of this rank's micro-batch number `micro_batch` (= step · A + m).
  std::vector<int64_t> batch(int64_t micro_batch, int64_t batch_size) const;
  int64_t step_of(int64_t micro_batch) const { return micro_batch / micro_; }
  // Position of the micro-batch's first image within its step's global batch.
  int64_t first_slot(int64_t micro_batch, int64_t batch_size) const {
    return (rank_ * micro_ + micro_batch % micro_) * batch_size;
  }

 private:
  int64_t at(int64_t position) const;  // image at a position of the global stream

  int64_t size_, rank_, world_, micro_;
  uint64_t seed_;
  mutable std::mutex mutex_;  // guards the cached permutation (loader threads share a sampler)
  mutable int64_t cached_epoch_ = -1;
  mutable std::vector<int64_t> permutation_;
};

}  // namespace pathodino::data
