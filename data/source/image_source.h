// ImageSource: where training images come from. The loader only sees this interface: the
// synthetic tissue source implements it now, the whole-slide tile source plugs in the same way.
// Implementations are read from several loader threads at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/source/rgb_image.h"

namespace pathodino::data {

struct LabelledImage {
  RgbImage image;
  int64_t label = -1;  // class index; -1 = unlabelled
};

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  virtual int64_t size() const = 0;
  virtual LabelledImage read(int64_t index) const = 0;       // thread-safe; 0 ≤ index < size()
  virtual std::vector<std::string> class_names() const = 0;  // empty when unlabelled
  virtual std::string describe() const = 0;                  // one line for logs
};

}  // namespace pathodino::data
