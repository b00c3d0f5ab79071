#include "trainer/features/feature_parts.h"

#include <filesystem>
#include <map>
#include <sstream>
#include <stdexcept>

namespace pathodino::features {

std::vector<std::string> feature_slide_names(const data::TileIndex& index,
                                             const data::Pseudonyms* pseudonyms) {
  std::vector<std::string> names;
  std::map<std::string, int> copies;  // pseudonym -> slides named so far
  for (const data::IndexedSlide& slide : index.slides()) {
    if (pseudonyms == nullptr) {
      names.push_back(std::filesystem::path(slide.path).stem().string());
      continue;
    }
    const std::string name = data::slide_pseudonym(*pseudonyms, slide);
    const int copy = ++copies[name];
    names.push_back(copy == 1 ? name : name + "-" + std::to_string(copy));
  }
  return names;
}

std::vector<FeaturePart> plan_feature_parts(const data::TileIndex& index,
                                            const data::Pseudonyms* pseudonyms) {
  std::vector<std::map<uint32_t, std::vector<int64_t>>> by_slide(index.slides().size());
  for (int64_t i = 0; i < index.size(); ++i) {
    const uint32_t grid = index.tile(i).grid;
    by_slide[index.grids()[grid].slide][grid].push_back(i);
  }
  std::vector<FeaturePart> parts;
  const std::vector<std::string> names = feature_slide_names(index, pseudonyms);
  std::map<std::string, std::string> taken;  // file stem -> slide, as a refusal names it
  for (uint32_t s = 0; s < by_slide.size(); ++s) {
    const std::string& stem = names[s];
    const std::string& path = pseudonyms != nullptr ? stem : index.slides()[s].path;
    if (by_slide[s].empty()) by_slide[s][UINT32_MAX] = {};
    for (auto& [grid, tiles] : by_slide[s]) {
      FeaturePart part{s, grid == UINT32_MAX ? -1 : static_cast<int64_t>(grid), stem,
                       std::move(tiles)};
      if (by_slide[s].size() > 1) {
        std::ostringstream mpp;
        mpp << index.grids()[grid].target_mpp;
        part.name += "_" + mpp.str() + "mpp";
      }
      if (const auto [it, fresh] = taken.emplace(part.name, path); !fresh)
        throw std::runtime_error(index.file().string() + ": slides " + it->second + " and " + path +
                                 " would both be written to " + part.file() +
                                 ": give them different file names");
      parts.push_back(std::move(part));
    }
  }
  return parts;
}

}  // namespace pathodino::features
