// Test helper for tests/models/vit/test_timm_parity.py: builds the backbone a file describes,
// imports its weights, and writes the eval-mode features of the images in an input file.
//   vit_features BACKBONE.safetensors IMAGES.safetensors OUT.safetensors
#include <iostream>

#include "models/interchange/backbone_file.h"
#include "models/interchange/safetensors.h"
#include "models/interchange/tensor_bytes.h"

using namespace pathodino::models;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: vit_features BACKBONE IMAGES OUT\n";
    return 2;
  }
  VisionTransformer backbone(read_backbone_spec(argv[1]));
  import_backbone(backbone, argv[1]);
  backbone->eval();
  torch::NoGradGuard no_grad;
  const auto images = from_st_tensor(*read_safetensors(argv[2]).find("images"));
  const VitOutput out = backbone->forward(images);
  SafetensorsContent content;
  content.tensors = {to_st_tensor("cls", out.cls), to_st_tensor("registers", out.registers),
                     to_st_tensor("patches", out.patches)};
  content.metadata["parameters"] = std::to_string(count_parameters(*backbone));
  write_safetensors(argv[3], content);
  return 0;
}
