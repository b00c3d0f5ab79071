#include "data/augment/normalise.h"

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

}  // namespace pathodino::data
