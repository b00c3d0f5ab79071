// Builds the backbone a config describes. The trainer calls it once for the student and once for
// the teacher: both start from the same seed, or from the same `model.pretrained` file (continued
// pretraining from public weights; heads are always fresh and built separately).
#pragma once

#include <cstdint>

#include "models/model_options.h"
#include "models/vit/vision_transformer.h"

namespace pathodino::models {

// `img_size` is the global crop size. Throws BackboneFileError / SafetensorsError naming the
// pretrained file when it cannot be used.
VisionTransformer build_backbone(const ModelOptions& options, int64_t img_size, uint64_t seed);

}  // namespace pathodino::models
