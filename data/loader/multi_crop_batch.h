// MultiCropBatch: one micro-batch of a step's input for one rank, normalised and laid out
// crop-major as the student and teacher consume it — no LibTorch here; the trainer wraps the
// buffers as tensors.
#pragma once

#include <cstdint>
#include <vector>

namespace pathodino::data {

struct MultiCropBatch {
  int64_t step = 0;
  int64_t first_slot = 0;           // position of image 0 in the step's global batch
  int64_t batch_size = 0;           // images B
  int64_t global_size = 0;          // side of the global crops
  int64_t local_size = 0;           // side of the local crops
  int64_t local_count = 0;          // local crops per image N
  std::vector<float> global_crops;  // [2, B, 3, global_size, global_size]
  std::vector<float> local_crops;   // [N, B, 3, local_size, local_size]
  std::vector<int64_t> indices;     // dataset index of each image
  std::vector<int64_t> labels;      // class of each image, -1 when unlabelled
};

}  // namespace pathodino::data
