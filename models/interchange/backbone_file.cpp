#include "models/interchange/backbone_file.h"

#include <torch/version.h>

#include <nlohmann/json.hpp>

#include "models/interchange/safetensors.h"
#include "models/interchange/tensor_bytes.h"
#include "models/vit/position_grid.h"

namespace pathodino::models {
namespace {

constexpr const char* kFormat = "pathodino-backbone/1";

std::string list_text(const std::vector<double>& values) { return nlohmann::json(values).dump(); }

// The kwargs of timm's VisionTransformer that rebuild this architecture (after timm's DINOv2
// checkpoint converter has run, which moves registers to `no_embed_class` form).
std::string timm_kwargs(const VitSpec& spec) {
  nlohmann::ordered_json kwargs = {
      {"img_size", spec.img_size},
      {"patch_size", spec.patch_size},
      {"embed_dim", spec.embed_dim},
      {"depth", spec.depth},
      {"num_heads", spec.num_heads},
      {"qkv_bias", spec.qkv_bias},
      {"reg_tokens", spec.num_register_tokens},
      {"no_embed_class", spec.num_register_tokens > 0},
      {"init_values",
       spec.layerscale_init > 0 ? nlohmann::json(spec.layerscale_init) : nlohmann::json()},
      {"num_classes", 0}};
  if (spec.ffn == FfnKind::swiglu) {
    kwargs["mlp_ratio"] =
        2.0 * static_cast<double>(spec.ffn_hidden_dim()) / static_cast<double>(spec.embed_dim);
    kwargs["mlp_layer"] = "SwiGLUPacked";
    kwargs["act_layer"] = "silu";
  } else {
    kwargs["mlp_ratio"] =
        static_cast<double>(spec.ffn_hidden_dim()) / static_cast<double>(spec.embed_dim);
  }
  return kwargs.dump();
}

std::string get(const std::map<std::string, std::string>& meta, const std::string& key,
                const std::filesystem::path& path) {
  const auto it = meta.find(key);
  if (it == meta.end()) throw BackboneFileError(path.string() + ": metadata has no '" + key + "'");
  return it->second;
}

}  // namespace

std::map<std::string, std::string> backbone_metadata(const VitSpec& spec,
                                                     const BackboneInfo& info) {
  return {
      {"format", kFormat},
      {"architecture", spec.name()},
      {"size", spec.size},
      {"embed_dim", std::to_string(spec.embed_dim)},
      {"depth", std::to_string(spec.depth)},
      {"num_heads", std::to_string(spec.num_heads)},
      {"patch_size", std::to_string(spec.patch_size)},
      {"img_size", std::to_string(spec.img_size)},
      {"num_register_tokens", std::to_string(spec.num_register_tokens)},
      {"ffn", spec.ffn == FfnKind::mlp ? "mlp" : "swiglu"},
      {"layerscale_init", nlohmann::json(spec.layerscale_init).dump()},
      {"qkv_bias", spec.qkv_bias ? "true" : "false"},
      {"interpolate_offset", nlohmann::json(spec.interpolate_offset).dump()},
      {"image_mean", list_text(info.image_mean)},
      {"image_std", list_text(info.image_std)},
      {"mpp", list_text(info.mpp)},
      {"origin", info.origin},
      {"timm_kwargs", timm_kwargs(spec)},
      {"torch_version", TORCH_VERSION},
  };
}

void export_backbone(VisionTransformer& backbone, const BackboneInfo& info,
                     const std::filesystem::path& path) {
  SafetensorsContent content;
  for (const auto& item : backbone->named_parameters())
    content.tensors.push_back(to_st_tensor(item.key(), item.value().to(torch::kFloat32)));
  content.metadata = backbone_metadata(backbone->spec(), info);
  write_safetensors(path, content);
}

std::map<std::string, std::string> read_backbone_metadata(const std::filesystem::path& path) {
  return read_safetensors(path).metadata;
}

VitSpec read_backbone_spec(const std::filesystem::path& path) {
  const auto meta = read_backbone_metadata(path);
  if (get(meta, "format", path) != kFormat)
    throw BackboneFileError(path.string() + ": format '" + meta.at("format") + "' is not " +
                            kFormat);
  VitSpec spec;
  try {
    spec.size = get(meta, "size", path);
    spec.embed_dim = std::stoll(get(meta, "embed_dim", path));
    spec.depth = std::stoll(get(meta, "depth", path));
    spec.num_heads = std::stoll(get(meta, "num_heads", path));
    spec.patch_size = std::stoll(get(meta, "patch_size", path));
    spec.img_size = std::stoll(get(meta, "img_size", path));
    spec.num_register_tokens = std::stoll(get(meta, "num_register_tokens", path));
    spec.ffn = get(meta, "ffn", path) == "swiglu" ? FfnKind::swiglu : FfnKind::mlp;
    spec.layerscale_init = std::stod(get(meta, "layerscale_init", path));
    spec.qkv_bias = get(meta, "qkv_bias", path) == "true";
    // Files written before the offset was recorded resampled by size.
    const auto offset = meta.find("interpolate_offset");
    spec.interpolate_offset = offset == meta.end() ? 0.0 : std::stod(offset->second);
  } catch (const std::logic_error& e) {  // stoll/stod on a malformed value
    throw BackboneFileError(path.string() + ": malformed architecture metadata (" + e.what() + ")");
  }
  return spec;
}

namespace {

// Note [Backbone with heads]: a file with heads names its backbone tensors with a prefix.
std::string backbone_prefix(const SafetensorsContent& content) {
  for (const StTensor& entry : content.tensors)
    if (entry.name.starts_with(kSslBackbonePrefix)) return kSslBackbonePrefix;
  return "";
}

// A position embedding stored for another patch grid, resampled to the model's (its CLS row
// kept); any other tensor as it is.
torch::Tensor fitted_to(const VisionTransformer& backbone, const std::string& name,
                        torch::Tensor value, const torch::Tensor& target) {
  if (name != "pos_embed" || value.dim() != 3 || value.size(0) != 1 ||
      value.size(2) != target.size(2) || value.sizes().equals(target.sizes()))
    return value;
  const int64_t grid = backbone->spec().img_size / backbone->spec().patch_size;
  return torch::cat(
      {value.slice(1, 0, 1), resample_patch_positions(value.slice(1, 1), grid, grid,
                                                      backbone->spec().interpolate_offset)},
      1);
}

}  // namespace

void import_backbone(VisionTransformer& backbone, const std::filesystem::path& path) {
  const SafetensorsContent content = read_safetensors(path);
  const std::string prefix = backbone_prefix(content);
  std::vector<std::string> problems;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> assignments;  // (parameter, value)
  const auto params = backbone->named_parameters();
  for (const auto& item : params) {
    const StTensor* entry = content.find(prefix + item.key());
    if (!entry) {
      problems.push_back("missing tensor '" + prefix + item.key() + "'");
      continue;
    }
    const torch::Tensor value =
        fitted_to(backbone, item.key(), from_st_tensor(*entry), item.value());
    if (!value.sizes().equals(item.value().sizes())) {
      std::ostringstream text;
      text << "tensor '" << item.key() << "' has shape " << value.sizes()
           << " in the file, the model needs " << item.value().sizes();
      problems.push_back(text.str());
      continue;
    }
    assignments.emplace_back(item.value(), value);
  }
  for (const auto& entry : content.tensors)
    if (entry.name.starts_with(prefix) && !params.contains(entry.name.substr(prefix.size())))
      problems.push_back("unexpected tensor '" + entry.name + "'");
  if (!problems.empty()) {
    std::string text = path.string() + ": does not fit " + backbone->spec().name() + ":";
    for (const auto& p : problems) text += "\n  " + p;
    throw BackboneFileError(text);
  }
  torch::NoGradGuard no_grad;
  for (auto& [param, value] : assignments) param.copy_(value);
}

}  // namespace pathodino::models
