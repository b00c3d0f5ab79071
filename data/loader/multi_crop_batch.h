// MultiCropBatch: one micro-batch of a step's input for one rank, normalised and laid out
// crop-major as the student and teacher consume it, with the global crops' iBOT masks — no
// LibTorch here; the trainer wraps the buffers as tensors.
#pragma once

#include <cstdint>
#include <vector>

#include "data/loader/host_buffer.h"

namespace pathodino::data {

struct MultiCropBatch {
  int64_t step = 0;
  int64_t first_slot = 0;        // position of image 0 in the step's global batch
  int64_t batch_size = 0;        // images B
  int64_t global_size = 0;       // side of the global crops
  int64_t local_size = 0;        // side of the local crops
  int64_t local_count = 0;       // local crops per image N
  HostBuffer global_crops;       // [2, B, 3, global_size, global_size]
  HostBuffer local_crops;        // [N, B, 3, local_size, local_size]
  int64_t mask_grid = 0;         // patches per side of a global crop; 0 = no masks
  std::vector<uint8_t> masks;    // [2, B, mask_grid²], 1 = masked for the student
  std::vector<int64_t> indices;  // dataset index of each image
  std::vector<int64_t> labels;   // class of each image, -1 when unlabelled
};

}  // namespace pathodino::data
