#include "data/synthetic/tissue_renderer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <random>

namespace pathodino::data {
namespace {

constexpr std::array kClasses{
    TissueClass{"stroma", 6, 3.0, 3.0, 0.00, {232, 160, 190}},
    TissueClass{"lymphocytes", 60, 2.6, 1.0, 0.00, {214, 150, 196}},
    TissueClass{"tumour", 22, 6.5, 1.4, 0.05, {204, 136, 176}},
    TissueClass{"adipose", 2, 3.0, 1.2, 0.70, {236, 182, 204}},
};

void blend(RgbImage& image, int64_t x, int64_t y, const double rgb[3], double alpha) {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) return;
  uint8_t* p = &image.pixels[(y * image.width + x) * 3];
  for (int c = 0; c < 3; ++c)
    p[c] = static_cast<uint8_t>(std::clamp(p[c] * (1 - alpha) + rgb[c] * alpha, 0.0, 255.0));
}

void ellipse(RgbImage& image, double cx, double cy, double rx, double ry, double angle,
             const double rgb[3], double alpha) {
  const double r = std::max(rx, ry) + 1;
  const double c = std::cos(angle), s = std::sin(angle);
  for (auto y = static_cast<int64_t>(cy - r); y <= static_cast<int64_t>(cy + r); ++y)
    for (auto x = static_cast<int64_t>(cx - r); x <= static_cast<int64_t>(cx + r); ++x) {
      const double dx = x - cx, dy = y - cy;
      const double u = (dx * c + dy * s) / rx, v = (-dx * s + dy * c) / ry;
      const double d = u * u + v * v;
      if (d <= 1) blend(image, x, y, rgb, alpha * (d > 0.7 ? 0.6 : 1.0));  // darker rim-free core
    }
}

}  // namespace

TissueClass tissue_class(int64_t index) {
  TissueClass base = kClasses[index % kClasses.size()];
  const int64_t variant = index / static_cast<int64_t>(kClasses.size());
  if (variant > 0) {  // further classes: same morphology family, shifted density, size and stain
    base.nuclei_per_10k_px *= 1.0 + 0.6 * variant;
    base.nucleus_radius_px *= 1.0 + 0.25 * variant;
    base.stain[0] -= 10.0 * variant;
    base.stain[2] += 6.0 * variant;
  }
  return base;
}

std::string tissue_class_name(int64_t index) {
  std::string name(tissue_class(index).name);
  const int64_t variant = index / static_cast<int64_t>(kClasses.size());
  return variant > 0 ? name + "_" + std::to_string(variant) : name;
}

RgbImage render_tissue(const TissueClass& tissue, int64_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0, 1);
  std::normal_distribution<double> noise(0, 1);
  RgbImage image{size, size, std::vector<uint8_t>(size * size * 3)};

  // Stroma: stain colour modulated by oriented fibres and per-image stain variation.
  const double fibre_angle = unit(rng) * M_PI, fibre_freq = 0.15 + 0.1 * unit(rng);
  const double stain_shift = 8 * noise(rng);
  for (int64_t y = 0; y < size; ++y)
    for (int64_t x = 0; x < size; ++x) {
      const double along = x * std::cos(fibre_angle) + y * std::sin(fibre_angle);
      const double fibre = 10 * std::sin(along * fibre_freq + 2 * std::sin(0.05 * (x - y)));
      const double grain = 6 * noise(rng);
      uint8_t* p = &image.pixels[(y * size + x) * 3];
      for (int c = 0; c < 3; ++c)
        p[c] = static_cast<uint8_t>(
            std::clamp(tissue.stain[c] + stain_shift + fibre + grain, 0.0, 255.0));
    }

  // Vacuoles: clear, nearly white regions with a thin pink membrane.
  const double area = static_cast<double>(size * size);
  double cleared = 0;
  const double white[3] = {246, 242, 246}, membrane[3] = {214, 140, 178};
  while (cleared < tissue.vacuole_share * area) {
    const double r = size * (0.06 + 0.08 * unit(rng));
    const double cx = unit(rng) * size, cy = unit(rng) * size;
    ellipse(image, cx, cy, r + 1.5, r + 1.5, 0, membrane, 0.8);
    ellipse(image, cx, cy, r, r * (0.8 + 0.3 * unit(rng)), unit(rng) * M_PI, white, 1.0);
    cleared += M_PI * r * r;
  }

  // Nuclei: haematoxylin purple ellipses; count ∝ density, size and shape per class.
  const auto nuclei =
      static_cast<int64_t>(tissue.nuclei_per_10k_px * area / 1e4 * (0.8 + 0.4 * unit(rng)));
  for (int64_t i = 0; i < nuclei; ++i) {
    const double r = std::max(1.2, tissue.nucleus_radius_px * (1 + 0.2 * noise(rng)));
    const double darkness = 0.75 + 0.25 * unit(rng);
    const double purple[3] = {70 + 40 * (1 - darkness), 40 + 30 * (1 - darkness),
                              120 + 30 * (1 - darkness)};
    ellipse(image, unit(rng) * size, unit(rng) * size, r * std::sqrt(tissue.elongation),
            r / std::sqrt(tissue.elongation), unit(rng) * M_PI, purple, 0.9);
  }
  return image;
}

}  // namespace pathodino::data
