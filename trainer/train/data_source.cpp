#include "trainer/train/data_source.h"

#include <stdexcept>

namespace pathodino::train {

std::shared_ptr<const data::ImageSource> make_image_source(const data::DataOptions& options,
                                                           uint64_t seed, data::Split split) {
  switch (options.source) {
    case data::SourceKind::synthetic:
      return std::make_shared<data::SyntheticTissueSource>(options.synthetic, seed, split);
    case data::SourceKind::wsi:
    case data::SourceKind::images:
      break;
  }
  throw std::runtime_error(
      "data.source: only 'synthetic' is implemented so far (whole-slide tiles and image folders "
      "arrive with the WSI pipeline)");
}

}  // namespace pathodino::train
