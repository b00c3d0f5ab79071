// Gaussian blur of a FloatImage with torchvision's semantics (the DINOv2 recipe is written in
// them): a separable kernel of `kernel_size` taps at `sigma`, borders reflected without repeating
// the edge pixel.
#pragma once

#include <vector>

#include "data/augment/float_image.h"

namespace pathodino::data {

// The blur's taps: exp(−x² / 2σ²) at x = −k/2 … k/2 in single precision, normalised by their sum.
std::vector<float> gaussian_kernel(double sigma, int kernel_size);

void gaussian_blur(FloatImage& image, double sigma, Scratch& scratch, int kernel_size = 9);
void gaussian_blur(FloatImage& image, double sigma, int kernel_size = 9);

}  // namespace pathodino::data
