// From the loader's plain buffers to the tensors StudentTeacher takes, plus this step's iBOT masks
// (DINOv2's generator over the 2·G global crops of the step's global batch, shuffled so masked
// crops are not always first; each rank and micro-batch takes its own images' rows, so the masks
// do not depend on how the global batch is split).
#pragma once

#include <cstdint>

#include <torch/types.h>

#include "data/loader/multi_crop_batch.h"
#include "trainer/ssl/ssl_options.h"
#include "trainer/ssl/student_teacher.h"

namespace pathodino::train {

// Masks of `grid`×`grid` patches for `global_crops` = 2·G crops (crop-major), deterministic in
// (seed, step); returns the rows of images [first_slot, first_slot + batch) of both crops, in the
// same crop-major layout ([2·batch, grid²]). batch < 0: every image.
torch::Tensor make_ibot_masks(const ssl::IbotOptions& options, int64_t global_crops, int64_t grid,
                              uint64_t seed, int64_t step, int64_t first_slot = 0,
                              int64_t batch = -1);

// Wraps (CPU) or copies (other devices) the batch's buffers; `batch` must outlive the result on
// CPU.
ssl::SslBatch to_ssl_batch(data::MultiCropBatch& batch, torch::Tensor masks,
                           const torch::Device& device);

}  // namespace pathodino::train
