#include "trainer/train/batch_tensors.h"

#include <torch/torch.h>

#include <algorithm>
#include <random>

#include "data/seed_mix.h"
#include "trainer/ssl/masking.h"

namespace pathodino::train {

torch::Tensor make_ibot_masks(const ssl::IbotOptions& options, int64_t global_crops, int64_t grid,
                              uint64_t seed, int64_t step, int64_t first_slot, int64_t batch) {
  std::mt19937_64 rng(data::mix_seed({seed, static_cast<uint64_t>(step), 0x1b07}));
  ssl::MaskingOptions masking{grid, grid, options.mask_sample_probability,
                              options.mask_ratio_min_max.at(0), options.mask_ratio_min_max.at(1)};
  auto masks = ssl::generate_masks(masking, global_crops, rng);
  std::shuffle(masks.begin(), masks.end(), rng);
  const int64_t images = global_crops / 2;
  if (batch < 0) batch = images;
  auto out = torch::zeros({2 * batch, grid * grid}, torch::kBool);
  auto access = out.accessor<bool, 2>();
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t i = 0; i < batch; ++i) {
      const auto& mask = masks[c * images + first_slot + i];
      for (int64_t j = 0; j < grid * grid; ++j) access[c * batch + i][j] = mask[j];
    }
  return out;
}

ssl::SslBatch to_ssl_batch(data::MultiCropBatch& batch, torch::Tensor masks,
                           const torch::Device& device) {
  const int64_t b = batch.batch_size;
  ssl::SslBatch out;
  out.batch_size = b;
  out.global_crops =
      torch::from_blob(batch.global_crops.data(), {2 * b, 3, batch.global_size, batch.global_size});
  if (batch.local_count > 0)
    out.local_crops = torch::from_blob(
        batch.local_crops.data(), {batch.local_count * b, 3, batch.local_size, batch.local_size});
  out.masks = std::move(masks);
  if (!device.is_cpu()) {
    out.global_crops = out.global_crops.to(device, /*non_blocking=*/false, /*copy=*/true);
    if (out.local_crops.defined()) out.local_crops = out.local_crops.to(device);
    out.masks = out.masks.to(device);
  }
  return out;
}

}  // namespace pathodino::train
