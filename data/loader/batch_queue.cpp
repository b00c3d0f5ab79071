#include "data/loader/batch_queue.h"

#include <algorithm>

#include "data/augment/normalise.h"
#include "data/seed_mix.h"

namespace pathodino::data {
namespace {

std::mt19937_64 image_stream(const BatchQueueOptions& options, const MultiCropBatch& batch,
                             int64_t j) {
  return std::mt19937_64(mix_seed({options.seed, static_cast<uint64_t>(batch.step),
                                   static_cast<uint64_t>(batch.indices[j]),
                                   static_cast<uint64_t>(batch.first_slot + j)}));
}

ChannelStats channel_stats(const BatchQueueOptions& options) {
  return {{options.mean.at(0), options.mean.at(1), options.mean.at(2)},
          {options.std.at(0), options.std.at(1), options.std.at(2)}};
}

// The per-image path: every crop augmented whole on the CPU and normalised into the batch.
void augment_on_cpu(const ImageSource& source, const MultiCropAugment& augment,
                    const BatchQueueOptions& options, MultiCropBatch& batch) {
  const int64_t b = batch.batch_size, g = batch.global_size * batch.global_size * 3,
                l = batch.local_size * batch.local_size * 3;
  batch.global_crops = options.allocate(2 * b * g);
  if (batch.local_count > 0) batch.local_crops = options.allocate(batch.local_count * b * l);
  const ChannelStats stats = channel_stats(options);
  batch.plans.resize((2 + batch.local_count) * b);
  CropWorkspace workspace;  // reused by every image of the batch
  for (int64_t j = 0; j < b; ++j) {
    const LabelledImage image = source.read(batch.indices[j]);
    batch.labels.push_back(image.label);
    std::mt19937_64 rng = image_stream(options, batch, j);
    augment(image.image, rng, workspace);
    const std::vector<FloatImage>& crops = workspace.crops;
    for (int64_t c = 0; c < 2; ++c)
      normalise_into(crops[c], stats, &batch.global_crops[(c * b + j) * g]);
    for (int64_t c = 0; c < batch.local_count; ++c)
      normalise_into(crops[2 + c], stats, &batch.local_crops[(c * b + j) * l]);
    for (size_t c = 0; c < crops.size(); ++c)
      batch.plans[c * b + j] = std::move(workspace.plans[c]);
  }
}

// The device path: each crop's plan drawn as the per-image path draws it (Note [Crop plans]),
// its geometry applied here and stored as bytes; the photometric half waits for the device.
void crop_for_device(const ImageSource& source, const MultiCropAugment& augment,
                     const BatchQueueOptions& options, MultiCropBatch& batch) {
  const int64_t b = batch.batch_size, crops = 2 + batch.local_count;
  const int64_t g = batch.global_size * batch.global_size * 3,
                l = batch.local_size * batch.local_size * 3;
  batch.global_pixels = options.allocate(floats_for_bytes(2 * b * g));
  batch.global_pixels[batch.global_pixels.size() - 1] = 0;  // the padding bytes, if any
  if (batch.local_count > 0) {
    batch.local_pixels = options.allocate(floats_for_bytes(batch.local_count * b * l));
    batch.local_pixels[batch.local_pixels.size() - 1] = 0;
  }
  batch.plans.resize(crops * b);
  batch.normalisation = channel_stats(options);
  FloatImage crop;
  Scratch scratch;
  for (int64_t j = 0; j < b; ++j) {
    const LabelledImage image = source.read(batch.indices[j]);
    batch.labels.push_back(image.label);
    std::mt19937_64 rng = image_stream(options, batch, j);
    for (int64_t c = 0; c < crops; ++c) {
      const CropRecipe& recipe = augment.recipe(c);
      CropPlan plan = augment.plan(image.image, recipe, rng);
      MultiCropAugment::crop_geometry(image.image, plan, recipe.size, crop, scratch);
      quantise_into(crop, c < 2 ? pixel_bytes(batch.global_pixels) + (c * b + j) * g
                                : pixel_bytes(batch.local_pixels) + ((c - 2) * b + j) * l);
      batch.plans[c * b + j] = std::move(plan.photometric);
    }
  }
}

}  // namespace

MultiCropBatch make_multi_crop_batch(const ImageSource& source, const MultiCropAugment& augment,
                                     const ShardedSampler& sampler,
                                     const BatchQueueOptions& options, int64_t micro_batch) {
  MultiCropBatch batch;
  batch.step = sampler.step_of(micro_batch);
  batch.first_slot = sampler.first_slot(micro_batch, options.batch_size);
  batch.batch_size = options.batch_size;
  batch.global_size = augment.global_size();
  batch.local_size = augment.local_size();
  batch.local_count = augment.local_count();
  batch.indices = sampler.batch(micro_batch, batch.batch_size);
  batch.device_augment = options.device_augment;
  if (options.device_augment)
    crop_for_device(source, augment, options, batch);
  else
    augment_on_cpu(source, augment, options, batch);
  if (options.masking.grid > 0) {
    const int64_t b = batch.batch_size;
    batch.mask_grid = options.masking.grid;
    const int64_t patches = batch.mask_grid * batch.mask_grid;
    const int64_t images = sampler.global_batch(b), crops = 2 * images;
    batch.masks.resize(2 * b * patches);
    for (int64_t c = 0; c < 2; ++c)
      for (int64_t j = 0; j < b; ++j) {
        const auto mask = ibot_mask(options.masking, crops, options.seed, batch.step,
                                    c * images + batch.first_slot + j);
        std::copy(mask.begin(), mask.end(), batch.masks.begin() + (c * b + j) * patches);
      }
  }
  return batch;
}

BatchQueue::BatchQueue(std::shared_ptr<const ImageSource> source, MultiCropAugment augment,
                       ShardedSampler sampler, BatchQueueOptions options)
    : source_(std::move(source)),
      augment_(std::move(augment)),
      sampler_(std::move(sampler)),
      options_(std::move(options)),
      next_to_build_(options_.first_micro_batch),
      next_to_deliver_(options_.first_micro_batch) {
  const int64_t threads = std::max<int64_t>(1, options_.threads);
  for (int64_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

BatchQueue::~BatchQueue() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void BatchQueue::work() {
  const int64_t window = std::max<int64_t>(1, options_.prefetch);
  while (true) {
    int64_t micro_batch;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] {
        return stopping_ || failure_ || next_to_build_ < next_to_deliver_ + window;
      });
      if (stopping_ || failure_) return;
      micro_batch = next_to_build_++;
    }
    try {
      MultiCropBatch batch =
          make_multi_crop_batch(*source_, augment_, sampler_, options_, micro_batch);
      std::lock_guard lock(mutex_);
      ready_.emplace(micro_batch, std::move(batch));
    } catch (...) {
      std::lock_guard lock(mutex_);
      if (!failure_) failure_ = std::current_exception();
    }
    changed_.notify_all();
  }
}

MultiCropBatch BatchQueue::next() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return failure_ || ready_.count(next_to_deliver_) > 0; });
  if (auto it = ready_.find(next_to_deliver_); it != ready_.end()) {
    MultiCropBatch batch = std::move(it->second);
    ready_.erase(it);
    ++next_to_deliver_;
    lock.unlock();
    changed_.notify_all();
    return batch;
  }
  std::rethrow_exception(failure_);
}

}  // namespace pathodino::data
