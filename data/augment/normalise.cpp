#include "data/augment/normalise.h"

#include <algorithm>

#include "data/augment/kernel_clones.h"

namespace pathodino::data {

PATHODINO_KERNEL_CLONES void normalise_into(const FloatImage& crop, const ChannelStats& stats,
                                            float* out) {
  const int64_t n = crop.plane_size();
  for (int c = 0; c < 3; ++c) {
    const auto mean = static_cast<float>(stats.mean[c]);
    const auto inv_std = static_cast<float>(1.0 / stats.std[c]);
    const float* in = crop.plane(c);
    float* to = out + c * n;
    for (int64_t i = 0; i < n; ++i) to[i] = (in[i] - mean) * inv_std;
  }
}

PATHODINO_KERNEL_CLONES void quantise_into(const FloatImage& crop, uint8_t* out) {
  // Through int32 (a vector conversion) rather than straight to uint8 (a scalar one per value).
  const float* in = crop.pixels.data();
  const auto n = static_cast<int64_t>(crop.pixels.size());
  for (int64_t i = 0; i < n; ++i) {
    const float scaled = in[i] * 255.0f + 0.5f;  // in [0.5, 255.5]: truncation rounds to nearest
    out[i] = static_cast<uint8_t>(static_cast<int32_t>(std::min(scaled, 255.0f)));
  }
}

}  // namespace pathodino::data
