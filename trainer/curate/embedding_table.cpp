#include "trainer/curate/embedding_table.h"

#include <cmath>
#include <sstream>

#include "trainer/features/feature_file.h"
#include "trainer/features/feature_parts.h"

namespace pathodino::curate {
namespace {

using features::FeatureFileInfo;

std::string tile_text(const features::FeatureFileInfo& info) {
  std::ostringstream s;
  s << info.tile_size << " px at " << info.target_mpp << " µm/px";
  return s.str();
}

// Throws EmbeddingMismatch when `file` was not made from `part` of the index, or by another
// backbone than `first` (the first file read, named in the message).
void check_part(const std::filesystem::path& file, const features::SlideFeatures& slide,
                const data::TileIndex& index, const features::FeaturePart& part,
                const std::filesystem::path& first, const FeatureFileInfo* first_info) {
  const auto refuse = [&](const std::string& why) {
    throw EmbeddingMismatch(file.string() + ": " + why);
  };
  const data::IndexedGrid& grid = index.grids()[static_cast<size_t>(part.grid)];
  if (slide.info.tile_size != grid.tile_size || slide.info.target_mpp != grid.target_mpp) {
    FeatureFileInfo indexed;
    indexed.tile_size = grid.tile_size;
    indexed.target_mpp = grid.target_mpp;
    refuse("tiles of " + tile_text(slide.info) + ", the index " + index.file().string() + " has " +
           tile_text(indexed) + ": embed this index again");
  }
  if (slide.info.tiles != static_cast<int64_t>(part.tiles.size()))
    refuse(std::to_string(slide.info.tiles) + " tiles, the index has " +
           std::to_string(part.tiles.size()) + " for this slide: embed this index again");
  for (size_t r = 0; r < part.tiles.size(); ++r) {
    const data::IndexedTile& tile = index.tile(part.tiles[r]);
    if (slide.coords[2 * r] != tile.x || slide.coords[2 * r + 1] != tile.y)
      refuse("row " + std::to_string(r) + " is the tile at (" +
             std::to_string(slide.coords[2 * r]) + ", " + std::to_string(slide.coords[2 * r + 1]) +
             "), the index's is at (" + std::to_string(tile.x) + ", " + std::to_string(tile.y) +
             "): embed this index again");
  }
  if (first_info && (slide.info.backbone_sha256 != first_info->backbone_sha256 ||
                     slide.info.dim != first_info->dim))
    refuse("made with backbone " + slide.info.backbone + " (sha256 " +
           slide.info.backbone_sha256.substr(0, 12) + "), " + first.string() + " with " +
           first_info->backbone + " (sha256 " + first_info->backbone_sha256.substr(0, 12) +
           "): one folder, one backbone");
}

void append_normalised(EmbeddingTable& table, const features::SlideFeatures& slide,
                       const std::vector<int64_t>& tiles) {
  const size_t dim = static_cast<size_t>(slide.info.dim);
  for (size_t r = 0; r < tiles.size(); ++r) {
    const float* row = slide.features.data() + r * dim;
    double norm = 0;
    for (size_t j = 0; j < dim; ++j) norm += static_cast<double>(row[j]) * row[j];
    const float scale = norm > 0 ? static_cast<float>(1.0 / std::sqrt(norm)) : 0.f;
    for (size_t j = 0; j < dim; ++j) table.vectors.push_back(row[j] * scale);
    table.tiles.push_back(tiles[r]);
  }
}

}  // namespace

EmbeddingTable read_embeddings(const data::TileIndex& index, const std::filesystem::path& dir,
                               const system::AesKey* key, const data::Pseudonyms* pseudonyms) {
  EmbeddingTable table;
  std::filesystem::path first;
  FeatureFileInfo first_info;
  for (const features::FeaturePart& part : features::plan_feature_parts(index, pseudonyms)) {
    if (part.tiles.empty()) continue;
    const std::filesystem::path file = dir / part.file();
    if (!std::filesystem::exists(file)) {
      table.missing.push_back(part.file());
      continue;
    }
    const features::SlideFeatures slide = features::read_feature_file(file, key);
    check_part(file, slide, index, part, first, first.empty() ? nullptr : &first_info);
    if (first.empty()) {
      first = file;
      first_info = slide.info;
    }
    append_normalised(table, slide, part.tiles);
  }
  if (first.empty())
    throw EmbeddingMismatch(dir.string() + ": no feature file of " + index.file().string() +
                            " (run `pathodino embed` with this index first)");
  table.dim = first_info.dim;
  table.backbone = first_info.backbone;
  table.backbone_sha256 = first_info.backbone_sha256;
  return table;
}

}  // namespace pathodino::curate
