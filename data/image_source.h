// ImageSource: where training images come from. The loader only sees this interface: synthetic
// tissue, whole-slide tiles through an index, and folders of ordinary images implement it.
// Implementations are read from several loader threads at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/rgb_image.h"

namespace pathodino::data {

// Labelled sets come in two splits: the kNN bank (train) and its queries (val).
enum class Split { train, val };

// What a source had to skip so far (unreadable tiles, quarantined slides): training goes on and
// the trainer reports these counts.
struct SourceHealth {
  int64_t skipped_reads = 0;
  int64_t quarantined = 0;
};

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
  virtual SourceHealth health() const { return {}; }
  // Each image's value in a grouping column of the source's manifest (site, scanner, stain
  // batch…), "" where a row has none; nullopt when the source has no such column.
  virtual std::optional<std::vector<std::string>> group_values(const std::string& column) const {
    (void)column;
    return std::nullopt;
  }
};

}  // namespace pathodino::data
