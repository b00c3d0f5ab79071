#include "data/loader/sharded_sampler.h"

#include <stdexcept>
#include <string>

namespace pathodino::data {

ShardedSampler::ShardedSampler(int64_t dataset_size, int64_t rank, int64_t world_size,
                               uint64_t seed, int64_t micro_batches_per_step)
    : ShardedSampler(std::make_shared<UniformOrder>(dataset_size, seed), rank, world_size,
                     micro_batches_per_step) {}

ShardedSampler::ShardedSampler(std::shared_ptr<const SampleOrder> order, int64_t rank,
                               int64_t world_size, int64_t micro_batches_per_step)
    : order_(std::move(order)), rank_(rank), world_(world_size), micro_(micro_batches_per_step) {
  if (micro_batches_per_step <= 0)
    throw std::invalid_argument("sampler: micro-batches per step must be positive");
  if (world_size <= 0 || rank < 0 || rank >= world_size)
    throw std::invalid_argument("sampler: rank " + std::to_string(rank) + " of world size " +
                                std::to_string(world_size));
}

std::vector<int64_t> ShardedSampler::batch(int64_t micro_batch, int64_t batch_size) const {
  std::vector<int64_t> indices(batch_size);
  const int64_t first = first_position(micro_batch, batch_size);
  for (int64_t j = 0; j < batch_size; ++j) indices[j] = order_->at(first + j);
  return indices;
}

}  // namespace pathodino::data
