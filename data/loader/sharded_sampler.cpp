#include "data/loader/sharded_sampler.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>

#include "data/seed_mix.h"

namespace pathodino::data {

ShardedSampler::ShardedSampler(int64_t dataset_size, int64_t rank, int64_t world_size,
                               uint64_t seed, int64_t micro_batches_per_step)
    : size_(dataset_size),
      rank_(rank),
      world_(world_size),
      micro_(micro_batches_per_step),
      seed_(seed) {
  if (micro_batches_per_step <= 0)
    throw std::invalid_argument("sampler: micro-batches per step must be positive");
  if (dataset_size <= 0) throw std::invalid_argument("sampler: the dataset is empty");
  if (world_size <= 0 || rank < 0 || rank >= world_size)
    throw std::invalid_argument("sampler: rank " + std::to_string(rank) + " of world size " +
                                std::to_string(world_size));
}

ShardedSampler::ShardedSampler(const ShardedSampler& other)
    : size_(other.size_),
      rank_(other.rank_),
      world_(other.world_),
      micro_(other.micro_),
      seed_(other.seed_) {}

int64_t ShardedSampler::at(int64_t position) const {
  const int64_t epoch = position / size_;
  std::lock_guard lock(mutex_);
  if (epoch != cached_epoch_) {
    permutation_.resize(size_);
    std::iota(permutation_.begin(), permutation_.end(), int64_t{0});
    std::mt19937_64 rng(mix_seed({seed_, static_cast<uint64_t>(epoch)}));
    std::shuffle(permutation_.begin(), permutation_.end(), rng);
    cached_epoch_ = epoch;
  }
  return permutation_[position % size_];
}

std::vector<int64_t> ShardedSampler::batch(int64_t micro_batch, int64_t batch_size) const {
  std::vector<int64_t> indices(batch_size);
  const int64_t first =
      step_of(micro_batch) * world_ * micro_ * batch_size + first_slot(micro_batch, batch_size);
  for (int64_t j = 0; j < batch_size; ++j) indices[j] = at(first + j);
  return indices;
}

}  // namespace pathodino::data
