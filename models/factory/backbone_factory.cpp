#include "models/factory/backbone_factory.h"

#include "models/interchange/backbone_file.h"

namespace pathodino::models {

VisionTransformer build_backbone(const ModelOptions& options, int64_t img_size, uint64_t seed) {
  VisionTransformer backbone(vit_spec_from_options(options, img_size));
  backbone->reset_parameters(seed);
  if (!options.pretrained.empty()) import_backbone(backbone, options.pretrained);
  return backbone;
}

}  // namespace pathodino::models
