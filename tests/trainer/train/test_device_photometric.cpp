// The photometric half batched on the device (CPU tensors here) against the per-image path:
// each operation alone and whole random plans on the same bytes, and whole batches of the
// loader's two paths on the same images (Note [Crop plans]).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <random>

#include "data/augment/multi_crop.h"
#include "data/loader/batch_queue.h"
#include "data/synthetic/synthetic_source.h"
#include "trainer/train/batch_tensors.h"
#include "trainer/train/device_photometric.h"

namespace pathodino::train {
namespace {

using data::JitterOp;
using data::PhotometricPlan;

const data::ChannelStats kStats{{0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}};

// The per-image path on bytes: each crop as floats b / 255, its plan applied, normalised.
torch::Tensor per_image(const torch::Tensor& pixels, const std::vector<PhotometricPlan>& plans) {
  const int64_t n = pixels.size(0), h = pixels.size(2), w = pixels.size(3);
  auto out = torch::empty({n, 3, h, w});
  data::Scratch scratch;
  for (int64_t i = 0; i < n; ++i) {
    data::FloatImage image(h, w);
    const auto bytes = pixels[i].contiguous();
    for (int64_t k = 0; k < 3 * h * w; ++k)
      image.pixels[k] = static_cast<float>(bytes.data_ptr<uint8_t>()[k]) / 255.0f;
    data::apply_photometric(image, plans[i], scratch);
    data::normalise_into(image, kStats, out[i].data_ptr<float>());
  }
  return out;
}

std::vector<PhotometricPlan> single_operations() {
  std::vector<PhotometricPlan> plans(13);
  plans[1].jitter = {{JitterOp::brightness, 1.3}};
  plans[2].jitter = {{JitterOp::contrast, 0.6}};
  plans[3].jitter = {{JitterOp::saturation, 1.4}};
  plans[4].jitter = {{JitterOp::hue, 0.2}};
  plans[5].jitter = {{JitterOp::hue, -0.45}};
  plans[6].grayscale = true;
  plans[7].blur_sigma = 0.1;
  plans[8].blur_sigma = 1.9;
  plans[9].solarize = true;
  plans[10].hed = true;
  plans[10].hed_alpha = {1.04, 0.97, 1.01};
  plans[10].hed_beta = {0.02, -0.03, 0.01};
  plans[11].jitter = {{JitterOp::hue, 0.1},
                      {JitterOp::contrast, 1.3},
                      {JitterOp::brightness, 0.7},
                      {JitterOp::saturation, 0.0}};
  plans[12] = plans[11];
  plans[12].grayscale = plans[12].solarize = true;
  plans[12].blur_sigma = 0.8;
  return plans;
}

// Plans as the recipe draws them, for the DINOv2 and the pathology presets (HED on).
std::vector<PhotometricPlan> drawn_plans(int64_t count) {
  data::DataOptions dinov2, pathology;
  pathology.augmentation = data::AugmentationPreset::pathology;
  pathology.hed_jitter = 0.05;
  const data::RgbImage image{64, 64, std::vector<uint8_t>(64 * 64 * 3, 128)};
  std::vector<PhotometricPlan> plans;
  std::mt19937_64 rng(4);
  for (int64_t i = 0; i < count; ++i) {
    const data::MultiCropAugment augment(i % 2 ? pathology : dinov2);
    plans.push_back(augment.plan(image, augment.recipe(i % 3), rng).photometric);
  }
  return plans;
}

TEST(DevicePhotometric, EqualsThePerImagePathOnTheSameBytes) {
  std::vector<PhotometricPlan> plans = single_operations();
  for (const PhotometricPlan& plan : drawn_plans(40)) plans.push_back(plan);
  const auto n = static_cast<int64_t>(plans.size());
  torch::manual_seed(3);
  // Noise over smooth ramps: greys, saturated and dark pixels all occur.
  auto pixels = (torch::rand({n, 3, 24, 20}) * 80 +
                 torch::linspace(0, 175, 20).view({1, 1, 1, 20}) * torch::rand({n, 3, 1, 1}))
                    .clamp(0, 255)
                    .to(torch::kUInt8);
  pixels.select(1, 1).slice(1, 0, 4).copy_(pixels.select(1, 0).slice(1, 0, 4));  // ties
  const auto theirs = per_image(pixels, plans);
  const auto ours = device_photometric(pixels, plans, kStats);
  ASSERT_EQ(ours.sizes(), theirs.sizes());
  const auto diff = (ours - theirs).abs().amax({1, 2, 3});
  for (int64_t i = 0; i < n; ++i) EXPECT_LE(diff[i].item<float>(), 2e-5) << "crop " << i;
  std::printf("device vs per-image photometry, %lld crops: max |diff| %.2e (normalised units)\n",
              static_cast<long long>(n), diff.max().item<double>());
  EXPECT_THROW(device_photometric(pixels, std::vector<PhotometricPlan>(3), kStats),
               std::invalid_argument);
}

// Synthetic tissue through the multi-crop recipe at the given crop sizes, one rank.
struct Loader {
  Loader(int64_t global, int64_t local, int64_t locals, data::SyntheticOptions synthetic)
      : options(with_crops(global, local, locals, synthetic)),
        source(options.synthetic, 1, data::Split::train),
        augment(options),
        sampler(source.size(), 0, 1, 7) {}
  static data::DataOptions with_crops(int64_t global, int64_t local, int64_t locals,
                                      data::SyntheticOptions synthetic) {
    data::DataOptions o;
    o.global_crops_size = global;
    o.local_crops_size = local;
    o.local_crops_number = locals;
    o.synthetic = synthetic;
    return o;
  }
  data::MultiCropBatch batch(const data::BatchQueueOptions& queue, int64_t micro_batch) const {
    return data::make_multi_crop_batch(source, augment, sampler, queue, micro_batch);
  }
  data::DataOptions options;
  data::SyntheticTissueSource source;
  data::MultiCropAugment augment;
  data::ShardedSampler sampler;
};

// Whole batches: the two loader paths on the same images draw the same plans; the device path
// quantises each crop to bytes after its geometry, so its outputs differ from the per-image
// path's by that rounding, carried through the photometry.
TEST(DevicePhotometric, TheLoadersTwoPathsGiveTheSameBatchesButForByteRounding) {
  const Loader loader(48, 24, 4, {3, 16, 96});
  data::BatchQueueOptions queue;
  queue.batch_size = 8;
  const auto cpu = loader.batch(queue, 1);
  queue.device_augment = true;
  auto on_device = loader.batch(queue, 1);
  ASSERT_EQ(on_device.plans, cpu.plans);
  auto cpu_copy = cpu;
  const auto a = to_ssl_batch(cpu_copy, torch::kCPU), b = to_ssl_batch(on_device, torch::kCPU);
  for (const auto& [x, y] :
       {std::pair{a.global_crops, b.global_crops}, std::pair{a.local_crops, b.local_crops}}) {
    ASSERT_EQ(x.sizes(), y.sizes());
    const auto diff = (x - y).abs();
    const double mean = diff.mean().item<double>(), worst = diff.max().item<double>();
    std::printf("per-image vs device batch %s: mean |diff| %.2e, max %.2e, means %.4f / %.4f\n",
                x.size(2) == 48 ? "globals" : "locals", mean, worst, x.mean().item<double>(),
                y.mean().item<double>());
    EXPECT_LT(mean, 4e-3);  // half a byte step is 0.5 / 255 / 0.225 = 8.7e-3 after normalising
    EXPECT_LT(std::abs(x.mean().item<double>() - y.mean().item<double>()), 1e-3);
    EXPECT_LT(std::abs(x.std().item<double>() - y.std().item<double>()), 1e-3);
  }
}

// With buffers owned by tensors (what pinned_host_allocator hands out, here without pinning, which
// needs CUDA), the batch's floats and the device path's bytes are read as views of those tensors.
TEST(DevicePhotometric, BuffersOwnedByTensorsAreReadAsTheirViews) {
  const Loader loader(32, 15, 2, {3, 8, 48});  // 2 · 3 · 3 · 15² bytes: not whole floats
  data::BatchQueueOptions queue;
  queue.batch_size = 3;
  queue.allocate = [](size_t floats) {
    auto tensor = std::make_shared<torch::Tensor>(torch::empty({static_cast<int64_t>(floats)}));
    float* data = tensor->data_ptr<float>();
    return data::HostBuffer(data, floats, std::move(tensor));
  };
  for (bool device_augment : {false, true}) {
    queue.device_augment = device_augment;
    auto batch = loader.batch(queue, 0);
    const auto owned = to_ssl_batch(batch, torch::kCPU, /*pinned=*/true);
    const auto wrapped = to_ssl_batch(batch, torch::kCPU, /*pinned=*/false);
    EXPECT_TRUE(torch::equal(owned.global_crops, wrapped.global_crops)) << device_augment;
    EXPECT_TRUE(torch::equal(owned.local_crops, wrapped.local_crops)) << device_augment;
    EXPECT_EQ(owned.local_crops.sizes(), (std::vector<int64_t>{6, 3, 15, 15}));
  }
}

}  // namespace
}  // namespace pathodino::train
