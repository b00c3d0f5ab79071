// Facts about the OpenSlide library this build uses.
#pragma once

#include <string>

namespace pathodino::data {

// The version OpenSlide reports at run time, e.g. "3.4.1".
std::string openslide_version();

}  // namespace pathodino::data
