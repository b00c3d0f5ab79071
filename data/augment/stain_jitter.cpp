#include "data/augment/stain_jitter.h"

#include <algorithm>
#include <cmath>

#include "data/augment/kernel_clones.h"

// The scalar logf and expf have vector versions in glibc's libmvec (SSE, AVX2, AVX-512 variants);
// declaring them `simd` lets the vectoriser call those (this file builds with -fopenmp-simd and
// -fno-math-errno, which glibc's math.h asks for before it declares them itself).
extern "C" {
#pragma omp declare simd notinbranch
float logf(float) noexcept;
#pragma omp declare simd notinbranch
float expf(float) noexcept;
}

namespace pathodino::data {
namespace {

// The inverse of kRgbFromHed (scikit-image's hed_from_rgb).
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

// Single precision, with the loop's logf and expf from glibc's vector math library (libmvec):
// the loop runs 4, 8 or 16 pixels at a time (Note [Kernel clones]). The folded matrices
// (hed_from_rgb / ln 1e-6, then ln 1e-6 · α · rgb_from_hed) are computed in double and rounded
// once; against scikit-image's double-precision formulas the result differs by ~1e-6
// (tests/data/augment/test_stain_jitter_reference.py).
PATHODINO_KERNEL_CLONES void hed_jitter(FloatImage& image, const std::array<double, 3>& alpha,
                                        const std::array<double, 3>& beta) {
  const auto hed_from_rgb = inverse(kRgbFromHed);
  const double log_adjust = std::log(1e-6);  // optical density scaled so that 1e-6 → 1
  float to_stain[3][3], to_log_rgb[3][3], shift[3], scale[3];
  for (int s = 0; s < 3; ++s) {
    for (int c = 0; c < 3; ++c) {
      to_stain[c][s] = static_cast<float>(hed_from_rgb[c][s] / log_adjust);
      to_log_rgb[s][c] = static_cast<float>(log_adjust * kRgbFromHed[s][c]);
    }
    scale[s] = static_cast<float>(alpha[s]);
    shift[s] = static_cast<float>(beta[s]);
  }
  float* planes[3] = {image.plane(0), image.plane(1), image.plane(2)};
  for (int64_t i = 0; i < image.plane_size(); ++i) {
    float log_rgb[3], stain[3];
    for (int c = 0; c < 3; ++c) log_rgb[c] = logf(std::max(planes[c][i], 1e-6f));
    for (int s = 0; s < 3; ++s) {
      const float density =
          log_rgb[0] * to_stain[0][s] + log_rgb[1] * to_stain[1][s] + log_rgb[2] * to_stain[2][s];
      stain[s] = std::max(density, 0.0f) * scale[s] + shift[s];
    }
    for (int c = 0; c < 3; ++c)
      planes[c][i] = std::min(expf(stain[0] * to_log_rgb[0][c] + stain[1] * to_log_rgb[1][c] +
                                   stain[2] * to_log_rgb[2][c]),
                              1.0f);
  }
}

StainShift draw_stain_shift(double sigma, std::mt19937_64& rng) {
  StainShift shift;
  if (sigma <= 0) return shift;
  std::uniform_real_distribution<double> scale(1 - sigma, 1 + sigma), offset(-sigma, sigma);
  for (int s = 0; s < 3; ++s) {
    shift.alpha[s] = scale(rng);
    shift.beta[s] = offset(rng);
  }
  return shift;
}

void hed_jitter(FloatImage& image, double sigma, std::mt19937_64& rng) {
  if (sigma <= 0) return;
  const StainShift shift = draw_stain_shift(sigma, rng);
  hed_jitter(image, shift.alpha, shift.beta);
}

}  // namespace pathodino::data
