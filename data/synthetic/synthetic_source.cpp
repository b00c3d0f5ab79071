#include "data/synthetic/synthetic_source.h"

#include <stdexcept>

#include "data/seed_mix.h"
#include "data/synthetic/stain_variation.h"
#include "data/synthetic/tissue_renderer.h"

namespace pathodino::data {

SyntheticTissueSource::SyntheticTissueSource(const SyntheticOptions& options, uint64_t seed,
                                             Split split)
    : options_(options), seed_(seed), split_(split) {}

int64_t SyntheticTissueSource::size() const {
  return options_.num_classes * options_.images_per_class;
}

LabelledImage SyntheticTissueSource::read(int64_t index) const {
  if (index < 0 || index >= size())
    throw std::out_of_range("synthetic source: image " + std::to_string(index) + " of " +
                            std::to_string(size()));
  const int64_t label = index % options_.num_classes;
  const uint64_t seed =
      mix_seed({seed_, static_cast<uint64_t>(split_), static_cast<uint64_t>(index)});
  RgbImage image = render_tissue(tissue_class(label), options_.image_size, seed);
  apply_stain_variation(image, options_.stain_variation, mix_seed({seed, 0x57a1}));
  return {std::move(image), label};
}

std::vector<std::string> SyntheticTissueSource::class_names() const {
  std::vector<std::string> names;
  for (int64_t i = 0; i < options_.num_classes; ++i) names.push_back(tissue_class_name(i));
  return names;
}

std::string SyntheticTissueSource::describe() const {
  return "synthetic tissue (" + std::string(split_ == Split::train ? "train" : "val") +
         "): " + std::to_string(options_.num_classes) + " classes x " +
         std::to_string(options_.images_per_class) + " images of " +
         std::to_string(options_.image_size) + " px";
}

}  // namespace pathodino::data
