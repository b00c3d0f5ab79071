// A backbone as a safetensors file that the Python ecosystem loads: DINOv2/timm tensor names
// (cls_token, pos_embed, register_tokens, mask_token, patch_embed.proj.*, blocks.N.*, norm.*) and
// __metadata__ describing the architecture, the image normalisation and the training µm/px.
// timm loads it with its own DINOv2 converter (tests/models/vit/test_timm_parity.py).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "models/vit/vision_transformer.h"

namespace pathodino::models {

struct BackboneInfo {
  std::vector<double> image_mean{0.485, 0.456, 0.406};
  std::vector<double> image_std{0.229, 0.224, 0.225};
  std::vector<double> mpp;  // µm/px of the training tiles; empty = unknown
  std::string origin;       // what produced the weights, e.g. "init seed 0", "checkpoint step 1250"
};

// The metadata every backbone file carries: format, architecture, normalisation, timm kwargs.
std::map<std::string, std::string> backbone_metadata(const VitSpec& spec, const BackboneInfo& info);

// Note [Backbone with heads]: a file may also carry the SSL heads. Its backbone tensors are then
// named "backbone.<DINOv2 name>", its heads "dino_head.*" and "ibot_head.*" — the names of a
// DINOv2 teacher checkpoint — and its metadata is a backbone file's plus "heads". Everything that
// reads a backbone reads the backbone of such a file and leaves the heads to the trainer.
inline constexpr const char* kSslBackbonePrefix = "backbone.";

// Writes every parameter of `backbone` (fp32) and the metadata; atomic (write_safetensors).
void export_backbone(VisionTransformer& backbone, const BackboneInfo& info,
                     const std::filesystem::path& path);

// The architecture recorded in a file's metadata.
VitSpec read_backbone_spec(const std::filesystem::path& path);
std::map<std::string, std::string> read_backbone_metadata(const std::filesystem::path& path);

// Copies a file's tensors into `backbone`. Every parameter must be present with its shape, except
// that a position embedding for another patch grid is resampled (bicubic) to this model's grid.
// A file with heads (Note [Backbone with heads]) gives its "backbone." tensors; the rest is left.
// Missing, unexpected and mismatched tensors are all listed in one BackboneFileError.
void import_backbone(VisionTransformer& backbone, const std::filesystem::path& path);

class BackboneFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace pathodino::models
