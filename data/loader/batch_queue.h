// BatchQueue: loader threads read images, cut multi-crops and normalise them into batches ahead
// of the training step, delivering them strictly in order (micro-batch by micro-batch) through a
// bounded window of `prefetch` batches. Every image's randomness — its crops and its iBOT masks —
// derives from (seed, step, image, slot in the step's global batch), so the batches are identical
// for any number of threads, and an image gets the same crops and masks whatever the rank count or
// accumulation. Pixels go into memory from `allocate` (pinned when the trainer feeds a GPU). A
// failure in a loader thread is rethrown by next().
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "data/augment/ibot_masks.h"
#include "data/augment/multi_crop.h"
#include "data/image_source.h"
#include "data/loader/host_buffer.h"
#include "data/loader/multi_crop_batch.h"
#include "data/loader/sharded_sampler.h"

namespace pathodino::data {

struct BatchQueueOptions {
  int64_t batch_size = 64;
  int64_t threads = 1;
  int64_t prefetch = 4;
  uint64_t seed = 0;
  int64_t first_micro_batch = 0;  // resume point: step · micro-batches per step
  std::vector<double> mean{0.485, 0.456, 0.406}, std{0.229, 0.224, 0.225};
  IbotMasking masking;                                // grid 0: batches carry no masks
  HostAllocator allocate = recycling_heap_buffers();  // where crops are written
  // Geometry only here, photometry batched on the training device (Note [Crop plans]).
  bool device_augment = false;
};

// One batch, synchronously (what each loader thread runs).
MultiCropBatch make_multi_crop_batch(const ImageSource& source, const MultiCropAugment& augment,
                                     const ShardedSampler& sampler,
                                     const BatchQueueOptions& options, int64_t micro_batch);

class BatchQueue {
 public:
  BatchQueue(std::shared_ptr<const ImageSource> source, MultiCropAugment augment,
             ShardedSampler sampler, BatchQueueOptions options);
  ~BatchQueue();
  BatchQueue(const BatchQueue&) = delete;
  BatchQueue& operator=(const BatchQueue&) = delete;

  MultiCropBatch next();  // blocks until the next micro-batch is ready

 private:
  void work();

  std::shared_ptr<const ImageSource> source_;
  MultiCropAugment augment_;
  ShardedSampler sampler_;
  BatchQueueOptions options_;

  std::mutex mutex_;
  std::condition_variable changed_;
  int64_t next_to_build_, next_to_deliver_;
  std::map<int64_t, MultiCropBatch> ready_;
  std::exception_ptr failure_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace pathodino::data
