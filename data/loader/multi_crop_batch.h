// MultiCropBatch: one micro-batch of a step's input for one rank, normalised and laid out
// crop-major as the student and teacher consume it, with the global crops' iBOT masks — no
// LibTorch here; the trainer wraps the buffers as tensors.
#pragma once

#include <cstdint>
#include <vector>

#include "data/augment/crop_plan.h"
#include "data/augment/normalise.h"
#include "data/loader/host_buffer.h"

namespace pathodino::data {

struct MultiCropBatch {
  int64_t step = 0;
  int64_t first_slot = 0;   // position of image 0 in the step's global batch
  int64_t batch_size = 0;   // images B
  int64_t global_size = 0;  // side of the global crops
  int64_t local_size = 0;   // side of the local crops
  int64_t local_count = 0;  // local crops per image N
  HostBuffer global_crops;  // [2, B, 3, global_size, global_size]
  HostBuffer local_crops;   // [N, B, 3, local_size, local_size]
  // Each crop's photometric plan (Note [Crop plans]), [2 + N, B] crop-major as the crops.
  std::vector<PhotometricPlan> plans;
  // The device path leaves global_crops and local_crops empty: the crops are bytes after their
  // geometry only, and the plans are applied on the device.
  // The bytes live in the allocator's float buffers (4 to a float), so they are recycled or
  // pinned as the per-image path's floats are: pixel_bytes() reads them.
  bool device_augment = false;
  HostBuffer global_pixels;      // [2, B, 3, global_size, global_size] bytes, 0..255
  HostBuffer local_pixels;       // [N, B, 3, local_size, local_size] bytes
  ChannelStats normalisation;    // applied on the device after the plans
  int64_t mask_grid = 0;         // patches per side of a global crop; 0 = no masks
  std::vector<uint8_t> masks;    // [2, B, mask_grid²], 1 = masked for the student
  std::vector<int64_t> indices;  // dataset index of each image
  std::vector<int64_t> labels;   // class of each image, -1 when unlabelled
};

// A buffer of floats as the bytes it holds, and the floats that hold `bytes` of them.
inline uint8_t* pixel_bytes(HostBuffer& buffer) {
  return reinterpret_cast<uint8_t*>(buffer.data());
}
inline const uint8_t* pixel_bytes(const HostBuffer& buffer) {
  return reinterpret_cast<const uint8_t*>(buffer.data());
}
inline size_t floats_for_bytes(size_t bytes) { return (bytes + sizeof(float) - 1) / sizeof(float); }

}  // namespace pathodino::data
