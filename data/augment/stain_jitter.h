// HED stain jitter (Tellez et al., 2018): colour deconvolution of RGB into haematoxylin, eosin and
// DAB optical densities with Ruifrok & Johnston's stain vectors (scikit-image's rgb2hed), each
// stain scaled by α ~ U[1 − σ, 1 + σ] and shifted by β ~ U[−σ, σ], then back to RGB (hed2rgb) — the
// staining differences between labs that colour jitter in RGB only approximates.
#pragma once

#include <array>
#include <random>

#include "data/augment/float_image.h"

namespace pathodino::data {

// Rows: the RGB absorbance of one unit of haematoxylin, eosin, DAB (Ruifrok & Johnston, as in
// scikit-image's rgb_from_hed).
inline constexpr double kRgbFromHed[3][3] = {
    {0.65, 0.70, 0.29}, {0.07, 0.99, 0.11}, {0.27, 0.57, 0.78}};

// Draws α and β per stain from `rng`; sigma 0 leaves the image as it is.
void hed_jitter(FloatImage& image, double sigma, std::mt19937_64& rng);

struct StainShift {
  std::array<double, 3> alpha{1, 1, 1}, beta{0, 0, 0};
};
// The draw alone: α then β per stain, as hed_jitter draws them (nothing when sigma is 0).
StainShift draw_stain_shift(double sigma, std::mt19937_64& rng);

// The deterministic core: stains h, e, d ← α·s + β.
void hed_jitter(FloatImage& image, const std::array<double, 3>& alpha,
                const std::array<double, 3>& beta);

}  // namespace pathodino::data
