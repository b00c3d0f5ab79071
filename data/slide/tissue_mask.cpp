#include "data/slide/tissue_mask.h"

#include <algorithm>
#include <array>
#include <numeric>

namespace pathodino::data {
namespace {

// Median of the (2r+1)² window, edges clamped; a running histogram along each row.
std::vector<uint8_t> median_filter(const std::vector<uint8_t>& in, int64_t w, int64_t h, int r) {
  if (r <= 0) return in;
  std::vector<uint8_t> out(in.size());
  const int64_t window = (2 * r + 1) * (2 * r + 1);
  const auto at = [&](int64_t y, int64_t x) {
    return in[std::clamp<int64_t>(y, 0, h - 1) * w + std::clamp<int64_t>(x, 0, w - 1)];
  };
  for (int64_t y = 0; y < h; ++y) {
    std::array<int32_t, 256> histogram{};
    for (int64_t dy = -r; dy <= r; ++dy)
      for (int64_t dx = -r; dx <= r; ++dx) ++histogram[at(y + dy, dx)];
    for (int64_t x = 0; x < w; ++x) {
      if (x > 0)
        for (int64_t dy = -r; dy <= r; ++dy) {
          --histogram[at(y + dy, x - r - 1)];
          ++histogram[at(y + dy, x + r)];
        }
      int64_t seen = 0;
      int v = 0;
      while ((seen += histogram[v]) <= window / 2) ++v;
      out[y * w + x] = static_cast<uint8_t>(v);
    }
  }
  return out;
}

// Max (dilate) or min (erode) over the (2r+1)² square, edges clamped.
std::vector<uint8_t> morph(const std::vector<uint8_t>& in, int64_t w, int64_t h, int r,
                           bool dilate) {
  std::vector<uint8_t> rows(in.size()), out(in.size());
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      uint8_t v = dilate ? 0 : 1;
      for (int64_t dx = -r; dx <= r; ++dx) {
        const uint8_t s = in[y * w + std::clamp<int64_t>(x + dx, 0, w - 1)];
        v = dilate ? std::max(v, s) : std::min(v, s);
      }
      rows[y * w + x] = v;
    }
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      uint8_t v = dilate ? 0 : 1;
      for (int64_t dy = -r; dy <= r; ++dy) {
        const uint8_t s = rows[std::clamp<int64_t>(y + dy, 0, h - 1) * w + x];
        v = dilate ? std::max(v, s) : std::min(v, s);
      }
      out[y * w + x] = v;
    }
  return out;
}

}  // namespace

double TissueMask::tissue_share() const {
  if (tissue.empty()) return 0;
  return static_cast<double>(std::accumulate(tissue.begin(), tissue.end(), int64_t{0})) /
         static_cast<double>(tissue.size());
}

std::vector<uint8_t> saturation(const RgbImage& image) {
  std::vector<uint8_t> s(static_cast<size_t>(image.width * image.height));
  for (size_t i = 0; i < s.size(); ++i) {
    const uint8_t* p = &image.pixels[i * 3];
    const int hi = std::max({p[0], p[1], p[2]}), lo = std::min({p[0], p[1], p[2]});
    s[i] = hi == 0 ? 0 : static_cast<uint8_t>((255 * (hi - lo) + hi / 2) / hi);
  }
  return s;
}

int otsu_threshold(const std::vector<uint8_t>& values) {
  std::array<double, 256> histogram{};
  for (uint8_t v : values) histogram[v] += 1;
  const double total = static_cast<double>(values.size());
  double sum_all = 0;
  for (int i = 0; i < 256; ++i) sum_all += i * histogram[i];
  double weight_below = 0, sum_below = 0, best = -1;
  int threshold = 0;
  for (int t = 0; t < 256; ++t) {  // classes: < t+1 and ≥ t+1
    weight_below += histogram[t];
    sum_below += t * histogram[t];
    const double weight_above = total - weight_below;
    if (weight_below == 0 || weight_above == 0) continue;
    const double mean_below = sum_below / weight_below;
    const double mean_above = (sum_all - sum_below) / weight_above;
    const double between =
        weight_below * weight_above * (mean_below - mean_above) * (mean_below - mean_above);
    if (between > best) best = between, threshold = t + 1;
  }
  return threshold;
}

TissueMask detect_tissue(const RgbImage& image, const TissueMaskOptions& options) {
  TissueMask mask;
  mask.width = image.width;
  mask.height = image.height;
  const std::vector<uint8_t> s =
      median_filter(saturation(image), image.width, image.height, options.median_radius);
  mask.threshold = std::max(otsu_threshold(s), options.saturation_floor);
  mask.tissue.resize(s.size());
  for (size_t i = 0; i < s.size(); ++i) mask.tissue[i] = s[i] >= mask.threshold ? 1 : 0;
  if (options.close_radius > 0) {
    mask.tissue = morph(morph(mask.tissue, image.width, image.height, options.close_radius, true),
                        image.width, image.height, options.close_radius, false);
  }
  return mask;
}

}  // namespace pathodino::data
