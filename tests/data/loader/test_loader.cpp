// Sampler sharding, iBOT masks and the batch queue: coverage, disjointness, determinism across
// thread counts and rank counts, resumption, normalisation, supplied memory, and failures
// surfacing in the consumer.
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <stdexcept>

#include "data/loader/batch_queue.h"
#include "data/synthetic/synthetic_source.h"

namespace pathodino::data {
namespace {

TEST(ShardedSampler, RanksSplitEachEpochExactly) {
  const int64_t size = 64, world = 4, batch = 4;  // 4 steps × 4 ranks × 4 = one epoch
  std::vector<int64_t> seen;
  for (int64_t rank = 0; rank < world; ++rank) {
    const ShardedSampler sampler(size, rank, world, 11);
    for (int64_t step = 0; step < 4; ++step) {
      const auto indices = sampler.batch(step, batch);
      seen.insert(seen.end(), indices.begin(), indices.end());
    }
  }
  std::sort(seen.begin(), seen.end());
  for (int64_t i = 0; i < size; ++i) ASSERT_EQ(seen[i], i);
}

TEST(ShardedSampler, DeterministicAndReshuffledPerEpoch) {
  const ShardedSampler a(50, 0, 1, 5), b(50, 0, 1, 5), c(50, 0, 1, 6);
  EXPECT_EQ(a.batch(0, 50), b.batch(0, 50));
  EXPECT_NE(a.batch(0, 50), c.batch(0, 50));
  EXPECT_NE(a.batch(0, 50), a.batch(1, 50));  // epoch 1 is another permutation
  auto epoch1 = a.batch(1, 50);
  std::sort(epoch1.begin(), epoch1.end());
  EXPECT_EQ(std::set<int64_t>(epoch1.begin(), epoch1.end()).size(), 50u);
  EXPECT_THROW(ShardedSampler(10, 2, 2, 0), std::invalid_argument);
  EXPECT_THROW(ShardedSampler(0, 0, 1, 0), std::invalid_argument);
}

TEST(ShardedSampler, RanksAndMicroBatchesPartitionTheSameGlobalBatch) {
  // A step's global batch of 8: 1 rank × 8, 2 ranks × 4, 1 rank × 2 micro-batches of 4, and
  // 2 ranks × 2 micro-batches of 2 put the same image in every slot.
  const int64_t size = 40, seed = 3;
  for (int64_t step : {0, 1, 7}) {
    const auto whole = ShardedSampler(size, 0, 1, seed).batch(step, 8);
    for (auto [world, micro] : {std::pair<int64_t, int64_t>{2, 1}, {1, 2}, {2, 2}, {4, 2}}) {
      const int64_t b = 8 / (world * micro);
      for (int64_t rank = 0; rank < world; ++rank) {
        const ShardedSampler sampler(size, rank, world, seed, micro);
        for (int64_t m = 0; m < micro; ++m) {
          const int64_t k = step * micro + m;
          EXPECT_EQ(sampler.step_of(k), step);
          const auto part = sampler.batch(k, b);
          const int64_t slot = sampler.first_slot(k, b);
          for (int64_t j = 0; j < b; ++j)
            ASSERT_EQ(part[j], whole[slot + j])
                << "world " << world << " micro " << micro << " rank " << rank << " m " << m;
        }
      }
    }
  }
}

DataOptions small_options() {
  DataOptions options;
  options.global_crops_size = 32;
  options.local_crops_size = 16;
  options.local_crops_number = 2;
  options.synthetic = {3, 8, 48};
  return options;
}

std::vector<MultiCropBatch> drain(int64_t threads, int64_t first_step, int64_t count,
                                  bool device_augment = false, double hed_jitter = 0) {
  DataOptions options = small_options();
  options.hed_jitter = hed_jitter;
  auto source = std::make_shared<SyntheticTissueSource>(options.synthetic, 1, Split::train);
  BatchQueueOptions queue_options;
  queue_options.batch_size = 5;
  queue_options.threads = threads;
  queue_options.prefetch = 2;
  queue_options.first_micro_batch = first_step;
  queue_options.device_augment = device_augment;
  BatchQueue queue(source, MultiCropAugment(options), ShardedSampler(source->size(), 0, 1, 3),
                   queue_options);
  std::vector<MultiCropBatch> batches;
  for (int64_t i = 0; i < count; ++i) batches.push_back(queue.next());
  return batches;
}

TEST(BatchQueue, SameBatchesForAnyThreadCountAndOnResume) {
  const auto one = drain(1, 0, 6);
  const auto three = drain(3, 0, 6);
  const auto resumed = drain(2, 4, 2);
  for (int64_t i = 0; i < 6; ++i) {
    EXPECT_EQ(one[i].step, i);
    EXPECT_EQ(one[i].indices, three[i].indices);
    EXPECT_EQ(one[i].global_crops, three[i].global_crops);
    EXPECT_EQ(one[i].local_crops, three[i].local_crops);
  }
  EXPECT_EQ(resumed[0].step, 4);
  EXPECT_EQ(resumed[1].global_crops, one[5].global_crops);
  EXPECT_EQ(one[0].global_crops.size(), 2u * 5 * 3 * 32 * 32);
  EXPECT_EQ(one[0].local_crops.size(), 2u * 5 * 3 * 16 * 16);
  for (int64_t j = 0; j < 5; ++j) EXPECT_EQ(one[0].labels[j], one[0].indices[j] % 3);
}

std::vector<uint8_t> bytes_of(const HostBuffer& buffer) {  // bytes compare; floats may be NaN
  const uint8_t* bytes = pixel_bytes(buffer);
  return {bytes, bytes + buffer.size() * sizeof(float)};
}

// The device path's bytes and plans: the same for any thread count and on resume, the plans the
// per-image path applied to the same images (Note [Crop plans]), the bytes its crops before
// their photometry.
TEST(BatchQueue, DevicePathCarriesThePerImagePlansForAnyThreadCountAndOnResume) {
  const auto one = drain(1, 0, 4, true, 0.05), three = drain(3, 0, 4, true, 0.05);
  const auto resumed = drain(2, 3, 1, true, 0.05);
  const auto per_image = drain(1, 0, 4, false, 0.05);
  int64_t jittered = 0, stained = 0;
  for (int64_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(one[i].device_augment);
    EXPECT_TRUE(one[i].global_crops.empty());
    EXPECT_EQ(one[i].global_pixels.size(), floats_for_bytes(2u * 5 * 3 * 32 * 32));
    EXPECT_EQ(one[i].local_pixels.size(), floats_for_bytes(2u * 5 * 3 * 16 * 16));
    EXPECT_EQ(bytes_of(one[i].global_pixels), bytes_of(three[i].global_pixels));
    EXPECT_EQ(bytes_of(one[i].local_pixels), bytes_of(three[i].local_pixels));
    EXPECT_EQ(one[i].plans, three[i].plans);
    EXPECT_EQ(one[i].plans, per_image[i].plans);
    ASSERT_EQ(one[i].plans.size(), 4u * 5);
    for (const PhotometricPlan& plan : one[i].plans) {
      jittered += !plan.jitter.empty();
      stained += plan.hed && plan.hed_alpha != std::array<double, 3>{1, 1, 1};
    }
  }
  EXPECT_EQ(bytes_of(resumed[0].global_pixels), bytes_of(one[3].global_pixels));
  EXPECT_EQ(resumed[0].plans, one[3].plans);
  EXPECT_GT(jittered, 0);
  EXPECT_EQ(stained, 4 * 4 * 5);
}

TEST(BatchQueue, AnImageGetsTheSameCropsOnAnyRankCount) {
  const DataOptions options = small_options();
  const auto source = std::make_shared<SyntheticTissueSource>(options.synthetic, 1, Split::train);
  BatchQueueOptions queue_options;
  queue_options.seed = 9;
  queue_options.batch_size = 4;
  queue_options.masking = {4, 0.5, 0.1, 0.5};
  const MultiCropAugment augment(options);
  const auto whole = make_multi_crop_batch(
      *source, augment, ShardedSampler(source->size(), 0, 1, 3), queue_options, /*micro_batch=*/2);
  queue_options.batch_size = 2;
  const int64_t g = 3 * 32 * 32;
  for (int64_t rank = 0; rank < 2; ++rank) {
    const auto part = make_multi_crop_batch(
        *source, augment, ShardedSampler(source->size(), rank, 2, 3), queue_options, 2);
    EXPECT_EQ(part.step, 2);
    EXPECT_EQ(part.first_slot, 2 * rank);
    for (int64_t j = 0; j < 2; ++j) {
      ASSERT_EQ(part.indices[j], whole.indices[2 * rank + j]);
      for (int64_t crop = 0; crop < 2; ++crop) {  // crop-major: [crop][image]
        const float* a = &part.global_crops[(crop * 2 + j) * g];
        const float* b = &whole.global_crops[(crop * 4 + 2 * rank + j) * g];
        ASSERT_TRUE(std::equal(a, a + g, b)) << "rank " << rank << " image " << j;
        const auto mask = part.masks.begin() + (crop * 2 + j) * 16;
        ASSERT_TRUE(
            std::equal(mask, mask + 16, whole.masks.begin() + (crop * 4 + 2 * rank + j) * 16))
            << "iBOT mask of rank " << rank << " image " << j;
      }
    }
  }
}

TEST(IbotMasks, Dinov2SharesOverAStepsCropsAndBlocks) {
  const IbotMasking masking{14, 0.5, 0.1, 0.5};
  const int64_t crops = 16, patches = 196;
  std::vector<int64_t> counts;
  for (int64_t slot = 0; slot < crops; ++slot) {
    const auto mask = ibot_mask(masking, crops, 7, 3, slot);
    ASSERT_EQ(static_cast<int64_t>(mask.size()), patches);
    EXPECT_EQ(mask, ibot_mask(masking, crops, 7, 3, slot)) << "deterministic";
    counts.push_back(std::count(mask.begin(), mask.end(), 1));
  }
  // int(16 · 0.5) = 8 crops masked; the k-th smallest share lies in the k-th slice of [0.1, 0.5]
  // (blocks can fall a little short of their target, never over it).
  std::sort(counts.begin(), counts.end());
  for (int64_t i = 0; i < 8; ++i) EXPECT_EQ(counts[i], 0) << i;
  for (int64_t k = 0; k < 8; ++k) {
    const double low = patches * (0.1 + 0.05 * k), high = patches * (0.1 + 0.05 * (k + 1));
    EXPECT_GE(counts[8 + k], static_cast<int64_t>(low * 0.8)) << k;
    EXPECT_LE(counts[8 + k], static_cast<int64_t>(high)) << k;
  }
  // Another step masks other crops.
  int64_t differ = 0;
  for (int64_t slot = 0; slot < crops; ++slot)
    differ += ibot_mask(masking, crops, 7, 3, slot) != ibot_mask(masking, crops, 7, 4, slot);
  EXPECT_GE(differ, 8);
}

TEST(BatchQueue, WritesCropsIntoTheSuppliedMemory) {
  const DataOptions options = small_options();
  auto source = std::make_shared<SyntheticTissueSource>(options.synthetic, 1, Split::train);
  auto handed_out = std::make_shared<std::vector<const float*>>();
  auto mutex = std::make_shared<std::mutex>();
  BatchQueueOptions queue_options;
  queue_options.batch_size = 2;
  queue_options.threads = 2;
  queue_options.allocate = [handed_out, mutex](size_t floats) {
    HostBuffer buffer = heap_buffer(floats);
    std::lock_guard lock(*mutex);
    handed_out->push_back(buffer.data());
    return buffer;
  };
  BatchQueue queue(source, MultiCropAugment(options), ShardedSampler(source->size(), 0, 1, 3),
                   queue_options);
  for (int i = 0; i < 3; ++i) {
    const MultiCropBatch batch = queue.next();
    std::lock_guard lock(*mutex);
    for (const HostBuffer* buffer : {&batch.global_crops, &batch.local_crops})
      EXPECT_NE(std::find(handed_out->begin(), handed_out->end(), buffer->data()),
                handed_out->end());
    EXPECT_TRUE(batch.masks.empty()) << "no masking asked for";
  }
}

class ConstantSource final : public ImageSource {
 public:
  explicit ConstantSource(int64_t fail_at = -1) : fail_at_(fail_at) {}
  int64_t size() const override { return 10; }
  LabelledImage read(int64_t index) const override {
    if (index == fail_at_) throw std::runtime_error("slide_7.svs: unreadable tile");
    RgbImage image{20, 20, {}};
    for (int i = 0; i < 400; ++i) image.pixels.insert(image.pixels.end(), {255, 0, 51});
    return {image, 0};
  }
  std::vector<std::string> class_names() const override { return {"all"}; }
  std::string describe() const override { return "constant"; }

 private:
  int64_t fail_at_;
};

// A released buffer of the size asked for is handed out again (its pages stay mapped); another
// size gets fresh memory; no more than `keep` wait; a buffer may outlive its allocator.
TEST(HostBuffer, RecyclingHeapReusesReleasedBuffersOfTheSameSize) {
  HostBuffer survivor;
  {
    HostAllocator allocate = recycling_heap_buffers(1);
    HostBuffer first = allocate(1000);
    const float* first_memory = first.data();
    first[999] = 1.0f;  // writable to the end
    first = HostBuffer();
    HostBuffer again = allocate(1000);
    EXPECT_EQ(again.data(), first_memory);
    HostBuffer other = allocate(2000);
    EXPECT_NE(other.data(), first_memory);
    EXPECT_EQ(other.size(), 2000u);
    HostBuffer a = allocate(1000), b = allocate(1000);
    const float* a_memory = a.data();
    a = HostBuffer();
    b = HostBuffer();  // keep = 1: only a waits
    EXPECT_EQ(allocate(1000).data(), a_memory);
    survivor = allocate(500);
  }
  survivor[499] = 2.0f;  // the allocator is gone; the buffer and its pool are not
  EXPECT_EQ(survivor[499], 2.0f);
}

TEST(BatchQueue, NormalisesWithMeanAndStd) {
  DataOptions options = small_options();
  options.augmentation = AugmentationPreset::pathology;
  auto augment = MultiCropAugment(options);
  BatchQueueOptions queue_options;
  queue_options.batch_size = 2;
  queue_options.mean = {0.5, 0.5, 0.5};
  queue_options.std = {0.5, 0.25, 0.5};
  // Colour jitter changes a constant colour, so compare one crop against its own un-normalised
  // value range instead: every value must be (v − 0.5) / std for some v in [0, 1].
  const MultiCropBatch batch = make_multi_crop_batch(ConstantSource(), augment,
                                                     ShardedSampler(10, 0, 1, 0), queue_options, 0);
  const int64_t plane = 32 * 32;
  for (int64_t i = 0; i < plane; ++i) {
    ASSERT_GE(batch.global_crops[plane + i], -2.0f - 1e-5f);  // green: std 0.25
    ASSERT_LE(batch.global_crops[plane + i], 2.0f + 1e-5f);
    ASSERT_GE(batch.global_crops[i], -1.0f - 1e-5f);
    ASSERT_LE(batch.global_crops[i], 1.0f + 1e-5f);
  }
}

TEST(BatchQueue, LoaderFailureReachesTheConsumer) {
  const DataOptions options = small_options();
  BatchQueueOptions queue_options;
  queue_options.batch_size = 10;  // every batch reads every image, so image 7 fails at once
  queue_options.threads = 2;
  BatchQueue queue(std::make_shared<ConstantSource>(7), MultiCropAugment(options),
                   ShardedSampler(10, 0, 1, 0), queue_options);
  try {
    queue.next();
    FAIL() << "expected the loader's error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("slide_7.svs"), std::string::npos);
  }
}

}  // namespace
}  // namespace pathodino::data
