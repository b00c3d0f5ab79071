// Test helper for test_param_counts.py: prints "NAME PARAMETERS" for each registry name given.
#include <iostream>

#include "models/vit/vision_transformer.h"

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    pathodino::models::VisionTransformer model(pathodino::models::vit_spec_from_name(argv[i]));
    std::cout << argv[i] << " " << pathodino::models::count_parameters(*model) << std::endl;
  }
  return 0;
}
