#include "models/vit_sizes.h"

#include <array>

namespace pathodino::models {
namespace {

constexpr std::array kSizes{
    VitSize{"vit_tiny", 192, 12, 3},    VitSize{"vit_small", 384, 12, 6},
    VitSize{"vit_base", 768, 12, 12},   VitSize{"vit_large", 1024, 24, 16},
    VitSize{"vit_giant", 1536, 40, 24},
};

}  // namespace

const VitSize* find_vit_size(std::string_view name) {
  for (const auto& size : kSizes)
    if (size.name == name) return &size;
  return nullptr;
}

std::vector<std::string_view> vit_size_names() {
  std::vector<std::string_view> names;
  for (const auto& size : kSizes) names.push_back(size.name);
  return names;
}

}  // namespace pathodino::models
