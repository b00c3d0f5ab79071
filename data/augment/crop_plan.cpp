#include "data/augment/crop_plan.h"

#include "data/augment/gaussian_blur.h"
#include "data/augment/stain_jitter.h"

namespace pathodino::data {

bool operator==(const PhotometricPlan& a, const PhotometricPlan& b) {
  auto same_steps = [](const std::vector<JitterStep>& x, const std::vector<JitterStep>& y) {
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i)
      if (x[i].op != y[i].op || x[i].amount != y[i].amount) return false;
    return true;
  };
  return a.hed == b.hed && a.hed_alpha == b.hed_alpha && a.hed_beta == b.hed_beta &&
         same_steps(a.jitter, b.jitter) && a.grayscale == b.grayscale &&
         a.blur_sigma == b.blur_sigma && a.solarize == b.solarize;
}

void apply_photometric(FloatImage& image, const PhotometricPlan& plan, Scratch& scratch) {
  if (plan.hed) hed_jitter(image, plan.hed_alpha, plan.hed_beta);
  if (!plan.jitter.empty()) apply_jitter(image, plan.jitter);
  if (plan.grayscale) to_grayscale(image);
  if (plan.blur_sigma > 0) gaussian_blur(image, plan.blur_sigma, scratch);
  if (plan.solarize) solarize(image);
}

}  // namespace pathodino::data
