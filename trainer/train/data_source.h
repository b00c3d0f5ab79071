// The image source a config asks for. Until the whole-slide pipeline lands only the synthetic
// source exists; asking for another is refused before any work starts.
#pragma once

#include <cstdint>
#include <memory>

#include "data/data_options.h"
#include "data/source/image_source.h"
#include "data/synthetic/synthetic_source.h"

namespace pathodino::train {

std::shared_ptr<const data::ImageSource> make_image_source(const data::DataOptions& options,
                                                           uint64_t seed, data::Split split);

}  // namespace pathodino::train
