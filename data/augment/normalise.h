// The last step of a crop: per-channel normalisation (x − mean) / std, written straight into the
// crop's slot of the batch.
#pragma once

#include "data/augment/float_image.h"

namespace pathodino::data {

struct ChannelStats {
  double mean[3], std[3];
};

// Writes the 3 planes of `crop` normalised into out[3 · height · width].
void normalise_into(const FloatImage& crop, const ChannelStats& stats, float* out);

}  // namespace pathodino::data
