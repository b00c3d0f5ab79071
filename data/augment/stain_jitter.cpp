#include "data/augment/stain_jitter.h"

#include <algorithm>
#include <cmath>

namespace pathodino::data {
namespace {

// Rows: the RGB absorbance of one unit of haematoxylin, eosin, DAB (Ruifrok & Johnston, as in
// scikit-image's rgb_from_hed), and its inverse (hed_from_rgb), computed once.
constexpr double kRgbFromHed[3][3] = {{0.65, 0.70, 0.29}, {0.07, 0.99, 0.11}, {0.27, 0.57, 0.78}};

std::array<std::array<double, 3>, 3> inverse(const double m[3][3]) {
  const double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                     m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                     m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  std::array<std::array<double, 3>, 3> inv{};
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      // Cofactor of (c, r), transposed.
      const int r0 = (c + 1) % 3, r1 = (c + 2) % 3, c0 = (r + 1) % 3, c1 = (r + 2) % 3;
      inv[r][c] = (m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]) / det;
    }
  return inv;
}

}  // namespace

void hed_jitter(FloatImage& image, const std::array<double, 3>& alpha,
                const std::array<double, 3>& beta) {
  static const auto hed_from_rgb = inverse(kRgbFromHed);
  const double log_adjust = std::log(1e-6);  // optical density scaled so that 1e-6 → 1
  float* planes[3] = {image.plane(0), image.plane(1), image.plane(2)};
  for (int64_t i = 0; i < image.plane_size(); ++i) {
    double od[3], stain[3] = {0, 0, 0};
    for (int c = 0; c < 3; ++c)
      od[c] = std::log(std::max(static_cast<double>(planes[c][i]), 1e-6)) / log_adjust;
    for (int s = 0; s < 3; ++s) {
      for (int c = 0; c < 3; ++c) stain[s] += od[c] * hed_from_rgb[c][s];
      stain[s] = std::max(stain[s], 0.0) * alpha[s] + beta[s];
    }
    for (int c = 0; c < 3; ++c) {
      double log_rgb = 0;
      for (int s = 0; s < 3; ++s) log_rgb += stain[s] * log_adjust * kRgbFromHed[s][c];
      planes[c][i] = static_cast<float>(std::clamp(std::exp(log_rgb), 0.0, 1.0));
    }
  }
}

void hed_jitter(FloatImage& image, double sigma, std::mt19937_64& rng) {
  if (sigma <= 0) return;
  std::uniform_real_distribution<double> scale(1 - sigma, 1 + sigma), shift(-sigma, sigma);
  std::array<double, 3> alpha{}, beta{};
  for (int s = 0; s < 3; ++s) {
    alpha[s] = scale(rng);
    beta[s] = shift(rng);
  }
  hed_jitter(image, alpha, beta);
}

}  // namespace pathodino::data
