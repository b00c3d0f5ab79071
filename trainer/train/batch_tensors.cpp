#include "trainer/train/batch_tensors.h"

#include <torch/torch.h>

#include <span>

#include "trainer/train/device_photometric.h"

namespace pathodino::train {
namespace {

// The buffer as a tensor of `sizes`: a view of the pinned tensor that owns it, so the CUDA
// host allocator tracks the asynchronous copy, or a wrapper of plain heap memory.
torch::Tensor as_tensor(data::HostBuffer& buffer, torch::IntArrayRef sizes, bool pinned) {
  if (pinned) return std::static_pointer_cast<torch::Tensor>(buffer.owner())->view(sizes);
  return torch::from_blob(buffer.data(), sizes);
}

}  // namespace

torch::Tensor ibot_masks_tensor(const data::IbotMasking& masking, int64_t global_images,
                                uint64_t seed, int64_t step, int64_t first_slot, int64_t batch) {
  const int64_t patches = masking.grid * masking.grid;
  auto out = torch::empty({2 * batch, patches}, torch::kBool);
  auto rows = out.accessor<bool, 2>();
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t i = 0; i < batch; ++i) {
      const auto mask = data::ibot_mask(masking, 2 * global_images, seed, step,
                                        c * global_images + first_slot + i);
      for (int64_t j = 0; j < patches; ++j) rows[c * batch + i][j] = mask[j] != 0;
    }
  return out;
}

data::HostAllocator pinned_host_allocator() {
  return [](size_t floats) {
    auto tensor = std::make_shared<torch::Tensor>(
        torch::empty({static_cast<int64_t>(floats)}, torch::TensorOptions().pinned_memory(true)));
    float* data = tensor->data_ptr<float>();
    return data::HostBuffer(data, floats, std::move(tensor));
  };
}

namespace {

// The device path's crops: bytes to the device, the photometric plans applied there. From pinned
// memory the bytes are a view of the pinned tensor that owns them, so the copy runs
// asynchronously as the per-image path's floats do; from heap memory it is synchronous.
void photometric_on_device(data::MultiCropBatch& batch, const torch::Device& device, bool pinned,
                           ssl::SslBatch& out) {
  const int64_t b = batch.batch_size, g = batch.global_size, l = batch.local_size;
  const std::span<const data::PhotometricPlan> plans(batch.plans);
  const auto bytes = [&](data::HostBuffer& pixels, int64_t crops, int64_t side) {
    const std::vector<int64_t> sizes{crops, 3, side, side};
    if (pinned)
      return std::static_pointer_cast<torch::Tensor>(pixels.owner())
          ->view(torch::kUInt8)
          .narrow(0, 0, crops * 3 * side * side)
          .view(sizes)
          .to(device, /*non_blocking=*/true);
    return torch::from_blob(data::pixel_bytes(pixels), sizes, torch::kUInt8).to(device);
  };
  out.global_crops = device_photometric(bytes(batch.global_pixels, 2 * b, g),
                                        plans.subspan(0, 2 * b), batch.normalisation);
  if (batch.local_count > 0)
    out.local_crops = device_photometric(bytes(batch.local_pixels, batch.local_count * b, l),
                                         plans.subspan(2 * b), batch.normalisation);
}

}  // namespace

ssl::SslBatch to_ssl_batch(data::MultiCropBatch& batch, const torch::Device& device, bool pinned) {
  const int64_t b = batch.batch_size;
  ssl::SslBatch out;
  out.batch_size = b;
  if (batch.mask_grid > 0) {
    out.masks = torch::from_blob(batch.masks.data(), {2 * b, batch.mask_grid * batch.mask_grid},
                                 torch::kUInt8)
                    .to(torch::kBool);  // a copy: the masks never alias the batch
    if (!device.is_cpu()) out.masks = out.masks.to(device);
  }
  if (batch.device_augment) {
    photometric_on_device(batch, device, pinned, out);
    return out;
  }
  out.global_crops =
      as_tensor(batch.global_crops, {2 * b, 3, batch.global_size, batch.global_size}, pinned);
  if (batch.local_count > 0)
    out.local_crops = as_tensor(
        batch.local_crops, {batch.local_count * b, 3, batch.local_size, batch.local_size}, pinned);
  if (!device.is_cpu()) {
    // Heap memory is copied synchronously (a non-blocking copy from pageable memory would stage
    // it anyway); pinned memory asynchronously, ordered before the step's kernels on the stream.
    const bool non_blocking = pinned;
    out.global_crops = out.global_crops.to(device, non_blocking, /*copy=*/true);
    if (out.local_crops.defined()) out.local_crops = out.local_crops.to(device, non_blocking);
  }
  return out;
}

}  // namespace pathodino::train
