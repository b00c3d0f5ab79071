// Photometric augmentation on FloatImage, with torchvision's semantics (the DINOv2 recipe is
// written in them): brightness scales, contrast blends with the mean grey level, saturation blends
// with the grey image, hue rotates in HSV; grey uses ITU-R 601 weights; solarize inverts values ≥
// 0.5.
#pragma once

#include <random>
#include <vector>

#include "data/augment/float_image.h"

namespace pathodino::data {

struct ColorJitter {
  double brightness = 0.4, contrast = 0.4, saturation = 0.2, hue = 0.1;
};

enum class JitterOp { brightness, contrast, saturation, hue };

struct JitterStep {
  JitterOp op = JitterOp::brightness;
  double amount = 1;  // a factor; for the hue, the shift in turns
  bool operator==(const JitterStep&) const = default;
};

// The jitters that are on, in torchvision's random order with their random factors (drawn in
// that order from `rng`).
std::vector<JitterStep> draw_jitter(const ColorJitter& jitter, std::mt19937_64& rng);
// The steps applied in order, fused into one or two passes over the image.
void apply_jitter(FloatImage& image, const std::vector<JitterStep>& steps);
// Both: the four jitters in a random order with random factors, as torchvision does.
void color_jitter(FloatImage& image, const ColorJitter& jitter, std::mt19937_64& rng);

void adjust_brightness(FloatImage& image, double factor);
void adjust_contrast(FloatImage& image, double factor);
void adjust_saturation(FloatImage& image, double factor);
void adjust_hue(FloatImage& image, double shift);  // shift in turns, [-0.5, 0.5]
void to_grayscale(FloatImage& image);
void solarize(FloatImage& image, float threshold = 0.5f);

}  // namespace pathodino::data
