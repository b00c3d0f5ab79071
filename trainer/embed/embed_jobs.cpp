#include "trainer/embed/embed_jobs.h"

#include <fmt/format.h>

#include <map>
#include <stdexcept>

#include "trainer/features/feature_parts.h"

namespace pathodino::embed {
namespace {

// A folder's name as a file stem: its path with separators as `_`, anything unusual as `_`.
std::string stem_of(const std::filesystem::path& folder) {
  std::string name;
  for (const char c : folder.generic_string())
    name += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ? c : '_';
  while (!name.empty() && (name.front() == '.' || name.front() == '_')) name.erase(0, 1);
  return name.empty() ? "images" : name;
}

}  // namespace

std::vector<EmbedJob> jobs_for_index(const data::WsiTileSource& source,
                                     const features::FeatureFileInfo& common,
                                     const data::Pseudonyms* pseudonyms) {
  const data::TileIndex& index = source.index();
  std::vector<EmbedJob> jobs;
  const std::vector<std::string> names = features::feature_slide_names(index, pseudonyms);
  for (features::FeaturePart& part : features::plan_feature_parts(index, pseudonyms)) {
    EmbedJob job{part.name, {&source, {}}, {}};
    features::FeatureFileInfo& info = job.content.info;
    info = common;
    info.slide = names[part.slide];
    info.tiles = static_cast<int64_t>(part.tiles.size());
    info.level0_mpp = index.slides()[part.slide].mpp_x;
    if (part.grid >= 0) {
      const data::IndexedGrid& grid = index.grids()[static_cast<size_t>(part.grid)];
      info.tile_size = grid.tile_size;
      info.tile_size_level0 = grid.extent;
      info.target_mpp = grid.target_mpp;
    }
    for (const int64_t i : part.tiles) {
      job.content.coords.push_back(index.tile(i).x);
      job.content.coords.push_back(index.tile(i).y);
    }
    job.images.indices = std::move(part.tiles);
    jobs.push_back(std::move(job));
  }
  return jobs;
}

std::vector<EmbedJob> jobs_for_images(const std::vector<const data::ImageFolderSource*>& sources,
                                      const features::FeatureFileInfo& common, int64_t image_size,
                                      int64_t images_per_file) {
  std::vector<EmbedJob> jobs;
  std::map<std::string, std::string> taken;  // file stem -> folder
  for (const data::ImageFolderSource* source : sources) {
    std::map<std::filesystem::path, std::vector<int64_t>> by_folder;
    for (int64_t i = 0; i < source->size(); ++i)
      by_folder[source->relative_path(i).parent_path()].push_back(i);
    for (const auto& [folder, images] : by_folder) {
      const std::string stem = stem_of(folder);
      const auto n = static_cast<int64_t>(images.size());
      for (int64_t start = 0; start < n; start += images_per_file) {
        const int64_t end = std::min(n, start + images_per_file);
        EmbedJob job{n > images_per_file
                         ? fmt::format("{}_part{:04d}", stem, start / images_per_file + 1)
                         : stem,
                     {source, {images.begin() + start, images.begin() + end}},
                     {}};
        if (const auto [it, fresh] = taken.emplace(job.name, folder.string()); !fresh)
          throw std::runtime_error(
              fmt::format("image folders '{}' and '{}' would both be written "
                          "to {}: rename one",
                          it->second, folder.string(), job.file()));
        job.content.info = common;
        job.content.info.slide = job.name;
        job.content.info.tiles = end - start;
        job.content.info.tile_size = image_size;
        job.content.class_names = source->class_names();
        for (const int64_t i : job.images.indices) {
          job.content.paths.push_back(source->relative_path(i).generic_string());
          job.content.labels.push_back(source->label(i));
        }
        jobs.push_back(std::move(job));
      }
    }
  }
  return jobs;
}

}  // namespace pathodino::embed
