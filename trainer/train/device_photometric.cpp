#include "trainer/train/device_photometric.h"

#include "data/augment/gaussian_blur.h"
#include "data/augment/stain_jitter.h"

#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pathodino::train {
namespace {

namespace F = torch::nn::functional;
using Op = std::function<torch::Tensor(const torch::Tensor&)>;

// The crops of x listed in `rows` replaced by op(those crops).
void apply_to(torch::Tensor& x, const std::vector<int64_t>& rows, const Op& op) {
  if (rows.empty()) return;
  const auto index = torch::tensor(rows, torch::kLong).to(x.device());
  x.index_copy_(0, index, op(x.index_select(0, index)));
}

// One value per listed crop as [n, 1, 1, 1] (or [n, 1, 1, k] for k values each), float, on the
// device of x.
torch::Tensor per_crop(const std::vector<double>& values, const torch::Tensor& x, int64_t k = 1) {
  return torch::tensor(values, torch::kDouble).view({-1, 1, 1, k}).to(x.device(), torch::kFloat);
}

torch::Tensor grey(const torch::Tensor& x) {  // ITU-R 601 luma, [n, 1, H, W]
  return (x.select(1, 0) * 0.299f + x.select(1, 1) * 0.587f + x.select(1, 2) * 0.114f).unsqueeze(1);
}

torch::Tensor blend(const torch::Tensor& x, const torch::Tensor& factor,
                    const torch::Tensor& with) {
  return (factor * x + (1 - factor) * with).clamp(0, 1);
}

// HSV → RGB for one channel (n = 5, 3, 1 for R, G, B), the select-free form of color_ops.cpp.
torch::Tensor hsv_channel(double n, const torch::Tensor& sector, const torch::Tensor& v,
                          const torch::Tensor& s) {
  auto k = sector + n;
  k = k - 6.0 * (k >= 6.0).to(k.scalar_type());
  return v - v * s * torch::minimum(k, 4.0 - k).clamp(0, 1);
}

torch::Tensor hue(const torch::Tensor& x, const torch::Tensor& turn) {
  const auto r = x.select(1, 0), g = x.select(1, 1), b = x.select(1, 2);
  const auto max = torch::maximum(r, torch::maximum(g, b));
  const auto chroma = max - torch::minimum(r, torch::minimum(g, b));
  const auto grey_pixel = chroma <= 0;
  const auto one = torch::ones_like(chroma);
  const auto is_r = max == r, is_g = max == g;
  const auto numerator = torch::where(is_r, g - b, torch::where(is_g, b - r, r - g));
  const auto offset = torch::where(is_r, 0 * one, torch::where(is_g, 2 * one, 4 * one));
  auto h = (numerator / torch::where(grey_pixel, one, chroma) + offset) / 6.0f + turn.squeeze(1);
  h = h - h.trunc();
  h = h + (h < 0).to(h.scalar_type());
  const auto s = chroma / torch::where(grey_pixel, one, max), sector = h * 6.0f;
  return torch::stack({hsv_channel(5, sector, max, s), hsv_channel(3, sector, max, s),
                       hsv_channel(1, sector, max, s)},
                      1);
}

// Rows whose plan has a jitter step of `op` at `position`, with its amounts.
void jitter_position(torch::Tensor& x, std::span<const data::PhotometricPlan> plans,
                     size_t position, data::JitterOp op) {
  std::vector<int64_t> rows;
  std::vector<double> amounts;
  for (size_t i = 0; i < plans.size(); ++i)
    if (plans[i].jitter.size() > position && plans[i].jitter[position].op == op) {
      rows.push_back(static_cast<int64_t>(i));
      amounts.push_back(plans[i].jitter[position].amount);
    }
  if (rows.empty()) return;
  const auto amount = per_crop(amounts, x);
  apply_to(x, rows, [&](const torch::Tensor& crops) {
    switch (op) {
      case data::JitterOp::brightness:
        return (crops * amount).clamp(0, 1);
      case data::JitterOp::contrast:
        return blend(crops, amount, grey(crops).mean({2, 3}, /*keepdim=*/true));
      case data::JitterOp::saturation:
        return blend(crops, amount, grey(crops));
      default:
        return hue(crops, amount);
    }
  });
}

// HED stain jitter in double precision, as data/augment/stain_jitter.cpp computes it.
torch::Tensor hed(const torch::Tensor& x, const torch::Tensor& alpha, const torch::Tensor& beta) {
  const auto rgb_from_hed =
      torch::tensor(std::vector<double>(&data::kRgbFromHed[0][0], &data::kRgbFromHed[0][0] + 9),
                    torch::kDouble)
          .view({3, 3})
          .to(x.device());
  const auto hed_from_rgb = torch::linalg_inv(rgb_from_hed);
  const double log_adjust = std::log(1e-6);
  const auto od = x.to(torch::kDouble).clamp_min(1e-6).log().div(log_adjust).permute({0, 2, 3, 1});
  const auto stains = od.matmul(hed_from_rgb).clamp_min(0) * alpha + beta;  // [n, H, W, 3]
  const auto rgb = (stains * log_adjust).matmul(rgb_from_hed).exp().clamp(0, 1);
  return rgb.permute({0, 3, 1, 2}).to(torch::kFloat).contiguous();
}

// Each crop's 9-tap Gaussian (gaussian_blur's own taps), applied as a grouped convolution
// (one group per crop and channel) after reflect padding.
torch::Tensor blur(const torch::Tensor& x, const std::vector<double>& sigmas) {
  constexpr int kTaps = 9, kHalf = kTaps / 2;
  std::vector<float> weights;
  for (double sigma : sigmas) {
    const std::vector<float> kernel = data::gaussian_kernel(sigma, kTaps);
    for (int c = 0; c < 3; ++c) weights.insert(weights.end(), kernel.begin(), kernel.end());
  }
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  const auto kernel = torch::tensor(weights).view({n * 3, 1, 1, kTaps}).to(x.device());
  auto planes = x.reshape({1, n * 3, h, w});
  planes = F::conv2d(F::pad(planes, F::PadFuncOptions({kHalf, kHalf, 0, 0}).mode(torch::kReflect)),
                     kernel, F::Conv2dFuncOptions().groups(n * 3));
  planes = F::conv2d(F::pad(planes, F::PadFuncOptions({0, 0, kHalf, kHalf}).mode(torch::kReflect)),
                     kernel.view({n * 3, 1, kTaps, 1}), F::Conv2dFuncOptions().groups(n * 3));
  return planes.view({n, 3, h, w});
}

// The rows whose plan says yes, and one value each.
template <class Yes, class Value>
std::pair<std::vector<int64_t>, std::vector<double>> select(
    std::span<const data::PhotometricPlan> plans, Yes&& yes, Value&& value) {
  std::pair<std::vector<int64_t>, std::vector<double>> out;
  for (size_t i = 0; i < plans.size(); ++i)
    if (yes(plans[i])) {
      out.first.push_back(static_cast<int64_t>(i));
      value(plans[i], out.second);
    }
  return out;
}

}  // namespace

torch::Tensor device_photometric(const torch::Tensor& pixels,
                                 std::span<const data::PhotometricPlan> plans,
                                 const data::ChannelStats& normalisation) {
  if (pixels.dim() != 4 || pixels.size(1) != 3 || pixels.size(0) != std::ssize(plans))
    throw std::invalid_argument("device_photometric: " + std::to_string(plans.size()) +
                                " plans for crops of shape " + std::to_string(pixels.dim()) + "-d");
  auto x = pixels.to(torch::kFloat).div_(255.0f);
  using Plan = data::PhotometricPlan;
  const auto [stained, stain_values] = select(
      plans, [](const Plan& p) { return p.hed; },
      [](const Plan& p, std::vector<double>& v) {
        v.insert(v.end(), p.hed_alpha.begin(), p.hed_alpha.end());
        v.insert(v.end(), p.hed_beta.begin(), p.hed_beta.end());
      });
  if (!stained.empty()) {
    const auto both = torch::tensor(stain_values, torch::kDouble).view({-1, 2, 3}).to(x.device());
    const auto alpha = both.select(1, 0).view({-1, 1, 1, 3}),
               beta = both.select(1, 1).view({-1, 1, 1, 3});
    apply_to(x, stained, [&](const torch::Tensor& crops) { return hed(crops, alpha, beta); });
  }
  for (size_t position = 0; position < 4; ++position)
    for (auto op : {data::JitterOp::brightness, data::JitterOp::contrast,
                    data::JitterOp::saturation, data::JitterOp::hue})
      jitter_position(x, plans, position, op);
  const auto greyed = select(
      plans, [](const Plan& p) { return p.grayscale; }, [](const Plan&, std::vector<double>&) {});
  apply_to(x, greyed.first, [](const torch::Tensor& crops) {
    return grey(crops).repeat({1, 3, 1, 1});
  });
  const auto blurred = select(
      plans, [](const Plan& p) { return p.blur_sigma > 0; },
      [](const Plan& p, std::vector<double>& v) { v.push_back(p.blur_sigma); });
  apply_to(x, blurred.first,
           [&](const torch::Tensor& crops) { return blur(crops, blurred.second); });
  const auto solarized = select(
      plans, [](const Plan& p) { return p.solarize; }, [](const Plan&, std::vector<double>&) {});
  apply_to(x, solarized.first, [](const torch::Tensor& crops) {
    return torch::where(crops >= 0.5f, 1 - crops, crops);
  });
  std::vector<float> mean, inv_std;
  for (int c = 0; c < 3; ++c) {
    mean.push_back(static_cast<float>(normalisation.mean[c]));
    inv_std.push_back(static_cast<float>(1.0 / normalisation.std[c]));
  }
  return (x - torch::tensor(mean).view({1, 3, 1, 1}).to(x.device())) *
         torch::tensor(inv_std).view({1, 3, 1, 1}).to(x.device());
}

}  // namespace pathodino::train
