// The last step of a crop: per-channel normalisation (x − mean) / std, written straight into the
// crop's slot of the batch; or, when the photometry runs on the device, the crop as bytes.
#pragma once

#include <cstdint>

#include "data/augment/float_image.h"

namespace pathodino::data {

struct ChannelStats {
  double mean[3], std[3];
};

// Writes the 3 planes of `crop` normalised into out[3 · height · width].
void normalise_into(const FloatImage& crop, const ChannelStats& stats, float* out);

// Writes the 3 planes of `crop` as bytes, round(255 · v), into out[3 · height · width].
void quantise_into(const FloatImage& crop, uint8_t* out);

}  // namespace pathodino::data
