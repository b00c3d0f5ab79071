// SyntheticTissueSource: labelled H&E-like images rendered on demand (no files): image i is of
// class i mod num_classes and is a pure function of (seed, split, i). Different splits of the same
// seed are disjoint draws, so a kNN evaluation can use "train" as its bank and "val" as queries.
#pragma once

#include <string>

#include "data/data_options.h"
#include "data/image_source.h"

namespace pathodino::data {

class SyntheticTissueSource final : public ImageSource {
 public:
  SyntheticTissueSource(const SyntheticOptions& options, uint64_t seed, Split split);
  int64_t size() const override;
  LabelledImage read(int64_t index) const override;
  std::vector<std::string> class_names() const override;
  std::string describe() const override;

 private:
  SyntheticOptions options_;
  uint64_t seed_;
  Split split_;
};

}  // namespace pathodino::data
