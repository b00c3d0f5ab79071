#include "data/augment/multi_crop.h"

#include "data/augment/gaussian_blur.h"
#include "data/augment/resized_crop.h"
#include "data/augment/stain_jitter.h"

namespace pathodino::data {
namespace {

bool chance(double probability, std::mt19937_64& rng) {
  return std::uniform_real_distribution<double>(0, 1)(rng) < probability;
}

}  // namespace

MultiCropAugment::MultiCropAugment(const DataOptions& options)
    : local_count_(options.local_crops_number),
      pathology_(options.augmentation == AugmentationPreset::pathology),
      hed_sigma_(options.hed_jitter) {
  const double g_min = options.global_crops_scale.at(0), g_max = options.global_crops_scale.at(1);
  const double l_min = options.local_crops_scale.at(0), l_max = options.local_crops_scale.at(1);
  const std::vector<double>& blur = options.blur_probabilities;  // Note [Blur probabilities]
  globals_[0] = {"global1", options.global_crops_size, g_min, g_max, blur.at(0), 0.0};
  globals_[1] = {"global2", options.global_crops_size, g_min, g_max, blur.at(1), 0.2};
  local_ = {"local", options.local_crops_size, l_min, l_max, blur.at(2), 0.0};
  if (pathology_) {
    jitter_ = {0.4, 0.4, 0.1, 0.03};
    grayscale_probability_ = 0.0;
    globals_[1].solarize_probability = 0.0;
  }
  if (options.augmentation == AugmentationPreset::xray) {
    jitter_ = {0.4, 0.4, 0.0, 0.0};
    grayscale_probability_ = 0.0;
    flip_probability_ = 0.0;
    globals_[1].solarize_probability = 0.0;
  }
}

CropPlan MultiCropAugment::plan(const RgbImage& image, const CropRecipe& recipe,
                                std::mt19937_64& rng) const {
  const auto fired = [&](double probability, const char* operation) {
    const bool yes = chance(probability, rng);
    if (yes && observer_) observer_(recipe.name, operation);
    return yes;
  };
  CropPlan plan;
  plan.box =
      random_resized_crop_box(image.height, image.width, recipe.min_scale, recipe.max_scale, rng);
  plan.flip = fired(flip_probability_, "flip");
  if (pathology_) {
    plan.flip_vertical = chance(0.5, rng);
    plan.quarter_turns = std::uniform_int_distribution<int>(0, 3)(rng);
  }
  PhotometricPlan& photometric = plan.photometric;
  photometric.hed = hed_sigma_ > 0;  // draws nothing when off: DINOv2's streams stay as they are
  const StainShift stains = draw_stain_shift(hed_sigma_, rng);
  photometric.hed_alpha = stains.alpha;
  photometric.hed_beta = stains.beta;
  if (fired(jitter_probability_, "color_jitter")) photometric.jitter = draw_jitter(jitter_, rng);
  photometric.grayscale = fired(grayscale_probability_, "grayscale");
  if (fired(recipe.blur_probability, "blur"))
    photometric.blur_sigma = std::uniform_real_distribution<double>(0.1, 2.0)(rng);
  photometric.solarize = fired(recipe.solarize_probability, "solarize");
  return plan;
}

void MultiCropAugment::crop_geometry(const RgbImage& image, const CropPlan& plan, int64_t size,
                                     FloatImage& out, Scratch& scratch) {
  crop_and_resize(image, plan.box, size, plan.flip, out, scratch);
  if (plan.flip_vertical) flip_vertical(out);
  rotate_quarter_turns(out, plan.quarter_turns);
}

void MultiCropAugment::operator()(const RgbImage& image, std::mt19937_64& rng,
                                  CropWorkspace& workspace) const {
  const int64_t crops = 2 + local_count_;
  workspace.crops.resize(crops);
  workspace.plans.resize(crops);
  for (int64_t c = 0; c < crops; ++c) {
    CropPlan decided = plan(image, recipe(c), rng);
    crop_geometry(image, decided, recipe(c).size, workspace.crops[c], workspace.scratch);
    apply_photometric(workspace.crops[c], decided.photometric, workspace.scratch);
    workspace.plans[c] = std::move(decided.photometric);
  }
}

std::vector<FloatImage> MultiCropAugment::operator()(const RgbImage& image,
                                                     std::mt19937_64& rng) const {
  CropWorkspace workspace;
  (*this)(image, rng, workspace);
  return std::move(workspace.crops);
}

}  // namespace pathodino::data
