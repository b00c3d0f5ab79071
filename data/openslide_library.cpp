#include "data/openslide_library.h"

#include <openslide.h>

namespace pathodino::data {

std::string openslide_version() {
  const char* version = openslide_get_version();
  return version ? version : "unknown";
}

}  // namespace pathodino::data
