// From the loader's plain buffers to the tensors StudentTeacher takes, plus this step's iBOT masks
// (DINOv2's generator over the 2·B global crops, shuffled so masked crops are not always first).
#pragma once

#include <cstdint>

#include <torch/types.h>

#include "data/loader/multi_crop_batch.h"
#include "trainer/ssl/ssl_options.h"
#include "trainer/ssl/student_teacher.h"

namespace pathodino::train {

// Masks for 2·B crops of `grid`×`grid` patches; deterministic in (seed, step).
torch::Tensor make_ibot_masks(const ssl::IbotOptions& options, int64_t crops, int64_t grid,
                              uint64_t seed, int64_t step);

// Wraps (CPU) or copies (other devices) the batch's buffers; `batch` must outlive the result on
// CPU.
ssl::SslBatch to_ssl_batch(data::MultiCropBatch& batch, torch::Tensor masks,
                           const torch::Device& device);

}  // namespace pathodino::train
