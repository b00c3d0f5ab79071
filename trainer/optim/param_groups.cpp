#include "trainer/optim/param_groups.h"

#include <cmath>

namespace pathodino::optim {
namespace {

bool is_embedding(const std::string& name) {
  for (const char* part :
       {"pos_embed", "patch_embed", "mask_token", "cls_token", "register_tokens"})
    if (name.find(part) != std::string::npos) return true;
  return false;
}

int64_t layer_of(const std::string& name, int64_t depth) {
  if (is_embedding(name)) return 0;
  if (name.rfind("blocks.", 0) == 0) return std::stoll(name.substr(7, name.find('.', 7) - 7)) + 1;
  return depth + 1;
}

// dinov2/utils/param_groups.py: by name, for backbone and heads alike.
bool without_weight_decay(const std::string& name) {
  return name.ends_with(".bias") || name.find("norm") != std::string::npos ||
         name.find("gamma") != std::string::npos;
}

bool is_token_or_position(const std::string& name) {
  return name == "pos_embed" || name == "cls_token" || name == "register_tokens" ||
         name == "mask_token";
}

}  // namespace

std::vector<ParamGroup> make_param_groups(
    const std::vector<std::pair<std::string, torch::Tensor>>& backbone_params, int64_t depth,
    const std::vector<std::pair<std::string, torch::Tensor>>& head_params,
    const OptimOptions& rules) {
  std::vector<ParamGroup> groups;
  for (const auto& [name, param] : backbone_params) {
    ParamGroup g{"backbone." + name, param};
    g.lr_multiplier =
        std::pow(rules.layerwise_decay, static_cast<double>(depth + 1 - layer_of(name, depth)));
    if (name.find("patch_embed") != std::string::npos) g.lr_multiplier *= rules.patch_embed_lr_mult;
    const bool exempt =
        without_weight_decay(name) || (!rules.decay_embeddings && is_token_or_position(name));
    g.wd_multiplier = exempt ? 0.0 : 1.0;
    g.is_backbone = true;
    groups.push_back(g);
  }
  for (const auto& [name, param] : head_params) {
    ParamGroup g{name, param};
    g.wd_multiplier = without_weight_decay(name) ? 0.0 : 1.0;
    g.is_last_layer = name.find("last_layer") != std::string::npos;
    groups.push_back(g);
  }
  return groups;
}

}  // namespace pathodino::optim
