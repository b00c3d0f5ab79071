#include "data/synthetic/stain_variation.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

namespace pathodino::data {

void apply_stain_variation(RgbImage& image, double strength, uint64_t seed) {
  if (strength <= 0) return;
  std::mt19937_64 rng(seed);
  auto around = [&rng, strength](double low, double high) {  // a range about 1, scaled
    const double u = std::uniform_real_distribution<double>(low, high)(rng);
    return 1.0 + strength * (u - 1.0);
  };
  const double brightness = around(0.75, 1.15);
  const double saturation = around(0.6, 1.4);
  const double stain = around(0.7, 1.3);  // optical density scale: darker or paler staining
  const double hue = strength * std::uniform_real_distribution<double>(-0.06, 0.06)(rng);

  // Hue rotation about the grey axis (a rotation matrix in RGB), then saturation about grey.
  const double a = 2 * std::numbers::pi * hue, c = std::cos(a), s = std::sin(a);
  const double k = (1 - c) / 3, r3 = s / std::sqrt(3.0);
  const double m[3][3] = {
      {c + k, k - r3, k + r3}, {k + r3, c + k, k - r3}, {k - r3, k + r3, c + k}};
  for (size_t i = 0; i < image.pixels.size(); i += 3) {
    double rgb[3], out[3];
    for (int ch = 0; ch < 3; ++ch) {  // stain intensity in optical density: OD = −log(I)
      const double intensity = std::max(1.0, static_cast<double>(image.pixels[i + ch])) / 255.0;
      rgb[ch] = std::exp(stain * std::log(intensity));
    }
    for (int r = 0; r < 3; ++r) out[r] = m[r][0] * rgb[0] + m[r][1] * rgb[1] + m[r][2] * rgb[2];
    const double grey = 0.299 * out[0] + 0.587 * out[1] + 0.114 * out[2];
    for (int ch = 0; ch < 3; ++ch) {
      const double v = brightness * (grey + saturation * (out[ch] - grey));
      image.pixels[i + ch] = static_cast<uint8_t>(std::clamp(std::lround(v * 255.0), 0L, 255L));
    }
  }
}

}  // namespace pathodino::data
