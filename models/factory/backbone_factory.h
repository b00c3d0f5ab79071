// Builds the backbone a config describes: initialised from its seed, or from the `model.pretrained`
// file (continued pretraining from public weights). The trainer builds the student from the file
// and makes the teacher its copy; heads are built separately (trainer/ssl).
#pragma once

#include <cstdint>

#include "models/model_options.h"
#include "models/vit/vision_transformer.h"

namespace pathodino::models {

// `img_size` is the global crop size. Throws BackboneFileError / SafetensorsError naming the
// pretrained file when it cannot be used.
VisionTransformer build_backbone(const ModelOptions& options, int64_t img_size, uint64_t seed);

}  // namespace pathodino::models
