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

void MultiCropAugment::crop(const RgbImage& image, const CropRecipe& recipe, std::mt19937_64& rng,
                            FloatImage& out, Scratch& scratch) const {
  const CropBox box =
      random_resized_crop_box(image.height, image.width, recipe.min_scale, recipe.max_scale, rng);
  const auto fired = [&](double probability, const char* operation) {
    const bool yes = chance(probability, rng);
    if (yes && observer_) observer_(recipe.name, operation);
    return yes;
  };
  // The flip is drawn right after the box, as before the resize, and applied inside it.
  const bool flipped = fired(flip_probability_, "flip");
  crop_and_resize(image, box, recipe.size, flipped, out, scratch);
  if (pathology_) {
    if (chance(0.5, rng)) flip_vertical(out);
    rotate_quarter_turns(out, std::uniform_int_distribution<int>(0, 3)(rng));
  }
  hed_jitter(out, hed_sigma_, rng);  // draws nothing when off: DINOv2's streams stay as they are
  if (fired(jitter_probability_, "color_jitter")) color_jitter(out, jitter_, rng);
  if (fired(grayscale_probability_, "grayscale")) to_grayscale(out);
  if (fired(recipe.blur_probability, "blur"))
    gaussian_blur(out, std::uniform_real_distribution<double>(0.1, 2.0)(rng), scratch);
  if (fired(recipe.solarize_probability, "solarize")) solarize(out);
}

void MultiCropAugment::operator()(const RgbImage& image, std::mt19937_64& rng,
                                  CropWorkspace& workspace) const {
  workspace.crops.resize(2 + local_count_);
  crop(image, globals_[0], rng, workspace.crops[0], workspace.scratch);
  crop(image, globals_[1], rng, workspace.crops[1], workspace.scratch);
  for (int64_t i = 0; i < local_count_; ++i)
    crop(image, local_, rng, workspace.crops[2 + i], workspace.scratch);
}

std::vector<FloatImage> MultiCropAugment::operator()(const RgbImage& image,
                                                     std::mt19937_64& rng) const {
  CropWorkspace workspace;
  (*this)(image, rng, workspace);
  return std::move(workspace.crops);
}

}  // namespace pathodino::data
