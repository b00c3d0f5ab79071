// ShardedSampler: which images each rank reads at each step. The global sample stream is an
// endless sequence of per-epoch permutations of the dataset (seeded by (seed, epoch)); step s of
// rank r takes the r-th slice of B consecutive positions of step s's global batch. Stateless in
// the step, so resuming at step s needs nothing but s, and no two ranks ever share an image
// within an epoch.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

namespace pathodino::data {

class ShardedSampler {
 public:
  ShardedSampler(int64_t dataset_size, int64_t rank, int64_t world_size, uint64_t seed);
  ShardedSampler(const ShardedSampler& other);

  // Dataset indices of this rank's batch at `step`.
  std::vector<int64_t> batch(int64_t step, int64_t batch_size) const;

 private:
  int64_t at(int64_t position) const;  // image at a position of the global stream

  int64_t size_, rank_, world_;
  uint64_t seed_;
  mutable std::mutex mutex_;  // guards the cached permutation (loader threads share a sampler)
  mutable int64_t cached_epoch_ = -1;
  mutable std::vector<int64_t> permutation_;
};

}  // namespace pathodino::data
