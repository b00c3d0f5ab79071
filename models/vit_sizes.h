// The ViT family by name: embedding width, depth and heads (DINOv2's vision_transformer.py sizes).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace pathodino::models {

struct VitSize {
  std::string_view name;
  int64_t embed_dim;
  int64_t depth;
  int64_t num_heads;
};

// nullptr when `name` is not a known size.
const VitSize* find_vit_size(std::string_view name);

// Every known name, smallest first.
std::vector<std::string_view> vit_size_names();

}  // namespace pathodino::models
