// ShardedSampler: which images each rank reads at each step. The global sample stream is a
// SampleOrder: by default an endless sequence of per-epoch permutations of the dataset (seeded by
// (seed, epoch)), or a group-balanced order. A step's
// global batch is world × A micro-batches of B consecutive positions (A = micro-batches per step,
// for gradient accumulation); micro-batch m of rank r is slot block r·A + m. So 2 ranks × B,
// 1 rank × 2B and 1 rank × 2 micro-batches of B all see the same images in the same slots.
// Stateless in the micro-batch number, so resuming needs nothing but the step, and no two ranks
// ever share an image within an epoch. A run resumed on another world size (another global batch)
// sets a resume point — the stream position its first step starts at — and reads on from there. A
// sampler holds a few words (the order is shared and computes positions on demand), so its memory
// does not grow with the dataset.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "data/loader/sample_order.h"

namespace pathodino::data {

class ShardedSampler {
 public:
  ShardedSampler(int64_t dataset_size, int64_t rank, int64_t world_size, uint64_t seed,
                 int64_t micro_batches_per_step = 1);
  ShardedSampler(std::shared_ptr<const SampleOrder> order, int64_t rank, int64_t world_size,
                 int64_t micro_batches_per_step = 1);

  // Dataset indices of this rank's micro-batch number `micro_batch` (= step · A + m).
  std::vector<int64_t> batch(int64_t micro_batch, int64_t batch_size) const;
  int64_t step_of(int64_t micro_batch) const { return micro_batch / micro_; }
  // Position of the micro-batch's first image within its step's global batch.
  int64_t first_slot(int64_t micro_batch, int64_t batch_size) const {
    return (rank_ * micro_ + micro_batch % micro_) * batch_size;
  }
  // Position in the global stream of the micro-batch's first image (epoch = position / length).
  int64_t first_position(int64_t micro_batch, int64_t batch_size) const {
    return resume_position_ + (step_of(micro_batch) - resume_step_) * global_batch(batch_size) +
           first_slot(micro_batch, batch_size);
  }
  // Stream position at the start of `step` (0 ≤ step): the sampler's whole resumable state.
  int64_t position_at(int64_t step, int64_t batch_size) const {
    return resume_position_ + (step - resume_step_) * global_batch(batch_size);
  }
  // Step `step` starts at stream position `position` (a checkpoint's sampler state).
  void resume_at(int64_t step, int64_t position) {
    resume_step_ = step;
    resume_position_ = position;
  }
  // Images in a step's global batch: every rank's micro-batches.
  int64_t global_batch(int64_t batch_size) const { return world_ * micro_ * batch_size; }
  const SampleOrder& order() const { return *order_; }

 private:
  std::shared_ptr<const SampleOrder> order_;
  int64_t rank_, world_, micro_;
  int64_t resume_step_ = 0, resume_position_ = 0;
};

}  // namespace pathodino::data
