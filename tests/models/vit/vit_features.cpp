// Test helper for tests/models/vit/test_timm_parity.py: builds the backbone a file describes,
// imports its weights, and writes the eval-mode features of the images in an input file. A file
// with heads (Note [Backbone with heads]) also gives the DINO head's logits of the CLS tokens and
// the iBOT head's of the patch tokens ("dino", "ibot").
//   vit_features BACKBONE.safetensors IMAGES.safetensors OUT.safetensors
#include <iostream>

#include <nlohmann/json.hpp>

#include "models/heads/dino_head.h"

#include "models/interchange/backbone_file.h"
#include "models/interchange/safetensors.h"
#include "models/interchange/tensor_bytes.h"

using namespace pathodino::models;

namespace {

// The head a file's "heads" metadata describes, with the file's tensors under `prefix`.
DinoHead load_head(const nlohmann::json& shape, int64_t in_dim, const SafetensorsContent& file,
                   const std::string& prefix) {
  DinoHeadSpec spec;
  spec.in_dim = in_dim;
  spec.n_prototypes = shape.at("n_prototypes");
  spec.hidden_dim = shape.at("hidden_dim");
  spec.bottleneck_dim = shape.at("bottleneck_dim");
  spec.nlayers = shape.at("nlayers");
  DinoHead head(spec, 0);
  torch::NoGradGuard no_grad;
  for (auto& item : head->named_parameters())
    item.value().copy_(from_st_tensor(*file.find(prefix + item.key())));
  return head;
}

// The heads' logits, when the file has heads.
void add_head_outputs(const std::filesystem::path& path, const VitOutput& out, int64_t dim,
                      SafetensorsContent& content) {
  const SafetensorsContent file = read_safetensors(path);
  const auto heads = file.metadata.find("heads");
  if (heads == file.metadata.end()) return;
  const auto shapes = nlohmann::json::parse(heads->second);
  DinoHead dino = load_head(shapes.at("dino_head"), dim, file, "dino_head.");
  DinoHead ibot = shapes.at("ibot_head").is_string()
                      ? dino
                      : load_head(shapes.at("ibot_head"), dim, file, "ibot_head.");
  content.tensors.push_back(to_st_tensor("dino", dino->forward(out.cls)));
  content.tensors.push_back(to_st_tensor("ibot", ibot->forward(out.patches)));
}

}  // namespace

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
  add_head_outputs(argv[1], out, backbone->spec().embed_dim, content);
  content.metadata["parameters"] = std::to_string(count_parameters(*backbone));
  write_safetensors(argv[3], content);
  return 0;
}
