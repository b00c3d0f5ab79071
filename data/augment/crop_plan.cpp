#include "data/augment/crop_plan.h"

#include "data/augment/gaussian_blur.h"
#include "data/augment/stain_jitter.h"

namespace pathodino::data {

void apply_photometric(FloatImage& image, const PhotometricPlan& plan, Scratch& scratch) {
  if (plan.hed) hed_jitter(image, plan.hed_alpha, plan.hed_beta);
  if (!plan.jitter.empty()) apply_jitter(image, plan.jitter);
  if (plan.grayscale) to_grayscale(image);
  if (plan.blur_sigma > 0) gaussian_blur(image, plan.blur_sigma, scratch);
  if (plan.solarize) solarize(image);
}

}  // namespace pathodino::data
