#include "models/vit_spec.h"

#include <regex>
#include <stdexcept>

#include "models/vit_sizes.h"

namespace pathodino::models {
namespace {

VitSpec with_size(std::string_view size_name) {
  const VitSize* size = find_vit_size(size_name);
  if (!size) {
    std::string known;
    for (auto name : vit_size_names()) known += (known.empty() ? "" : ", ") + std::string(name);
    throw std::invalid_argument("unknown ViT size '" + std::string(size_name) +
                                "' (known: " + known + ")");
  }
  VitSpec spec;
  spec.size = std::string(size->name);
  spec.embed_dim = size->embed_dim;
  spec.depth = size->depth;
  spec.num_heads = size->num_heads;
  return spec;
}

}  // namespace

int64_t VitSpec::ffn_hidden_dim() const {
  const int64_t mlp = 4 * embed_dim;
  if (ffn == FfnKind::mlp) return mlp;
  return (mlp * 2 / 3 + 7) / 8 * 8;
}

std::string VitSpec::name() const {
  std::string text = size + "_patch" + std::to_string(patch_size);
  if (num_register_tokens > 0) text += "_reg" + std::to_string(num_register_tokens);
  return text;
}

VitSpec vit_spec_from_name(std::string_view name) {
  static const std::regex pattern(R"((vit_[a-z]+)_patch(\d+)(?:_reg(\d+))?)");
  std::cmatch match;
  if (!std::regex_match(name.begin(), name.end(), match, pattern))
    throw std::invalid_argument(
        "model name '" + std::string(name) +
        "' is not of the form vit_SIZE_patchP[_regR], e.g. vit_small_patch14_reg4");
  VitSpec spec = with_size(match[1].str());
  spec.patch_size = std::stoll(match[2]);
  if (match[3].matched) spec.num_register_tokens = std::stoll(match[3]);
  if (spec.patch_size < 2 || spec.patch_size > 64)
    throw std::invalid_argument("patch size " + match[2].str() + " outside [2, 64]");
  if (spec.num_register_tokens > 16)
    throw std::invalid_argument("at most 16 register tokens, asked for " + match[3].str());
  if (spec.size == "vit_giant") spec.ffn = FfnKind::swiglu;
  return spec;
}

VitSpec vit_spec_from_options(const ModelOptions& options, int64_t img_size) {
  VitSpec spec = with_size(options.arch);
  spec.patch_size = options.patch_size;
  spec.img_size = img_size;
  spec.num_register_tokens = options.num_register_tokens;
  spec.layerscale_init = options.layerscale_init;
  spec.drop_path_rate = options.drop_path_rate;
  spec.drop_path_schedule = options.drop_path_schedule;
  spec.ffn = options.ffn;
  spec.qkv_bias = options.qkv_bias;
  spec.interpolate_offset = options.interpolate_offset;
  return spec;
}

}  // namespace pathodino::models
