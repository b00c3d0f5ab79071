// From the loader's plain buffers to the tensors StudentTeacher takes. The loader already made the
// step's iBOT masks (data/augment/ibot_masks); here they become a bool tensor. When batches go to
// a GPU the loader writes into pinned host memory (pinned_host_allocator), and the copies to the
// device are issued without blocking the host.
#pragma once

#include <torch/types.h>

#include "data/augment/ibot_masks.h"
#include "data/loader/host_buffer.h"
#include "data/loader/multi_crop_batch.h"
#include "trainer/ssl/student_teacher.h"

namespace pathodino::train {

// The masks the loader makes for images [first_slot, first_slot + batch) of a step's global batch
// of `global_images` ([2·batch, grid²] bool, crop-major), for batches that do not come from the
// loader (tests, benchmarks).
torch::Tensor ibot_masks_tensor(const data::IbotMasking& masking, int64_t global_images,
                                uint64_t seed, int64_t step, int64_t first_slot, int64_t batch);

// Page-locked host memory (a pinned CPU tensor per buffer); needs a CUDA device at run time.
data::HostAllocator pinned_host_allocator();

// Wraps (CPU) or copies (other devices) the batch's buffers; on CPU `batch` must outlive the
// result. `pinned`: the buffers came from pinned_host_allocator(), so copies are asynchronous.
ssl::SslBatch to_ssl_batch(data::MultiCropBatch& batch, const torch::Device& device,
                           bool pinned = false);

}  // namespace pathodino::train
