// Dumps an image before and after hed_jitter with fixed α and β as JSON, for
// test_stain_jitter_reference.py to recompute with scikit-image's formulas.
#include <cstdio>
#include <random>

#include "data/augment/stain_jitter.h"

int main() {
  using namespace pathodino::data;
  FloatImage image(12, 10);
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  for (float& v : image.pixels) v = unit(rng);
  image.pixels[0] = 0.0f;  // the 1e-6 floor
  image.pixels[1] = 1.0f;
  const FloatImage input = image;
  const std::array<double, 3> alpha{1.04, 0.95, 1.02}, beta{0.03, -0.02, 0.01};
  hed_jitter(image, alpha, beta);
  std::printf("{\"height\": 12, \"width\": 10, \"alpha\": [1.04, 0.95, 1.02], ");
  std::printf("\"beta\": [0.03, -0.02, 0.01], \"input\": [");
  for (size_t i = 0; i < input.pixels.size(); ++i)
    std::printf("%s%.9g", i ? ", " : "", static_cast<double>(input.pixels[i]));
  std::printf("], \"output\": [");
  for (size_t i = 0; i < image.pixels.size(); ++i)
    std::printf("%s%.9g", i ? ", " : "", static_cast<double>(image.pixels[i]));
  std::printf("]}\n");
}
