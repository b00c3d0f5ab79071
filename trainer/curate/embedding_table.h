// The embeddings of an index's tiles, read from the feature files `embed` wrote (one per slide
// and grid, feature_parts.h). Every file must match the index row for row (its coordinates), the
// tile size of its grid, and the backbone of the other files; a slide without a file is skipped
// and named, so curating a partly embedded archive loses only those slides.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/index/pseudonyms.h"
#include "data/index/tile_index.h"
#include "trainer/system/aes_gcm.h"

namespace pathodino::curate {

struct EmbeddingTable {
  int64_t dim = 0;
  std::vector<float> vectors;  // rows × dim, each row L2-normalised
  std::vector<int64_t> tiles;  // index position of each row
  std::string backbone, backbone_sha256;
  std::vector<std::string> missing;  // feature files not found (their tiles are not curated)
  int64_t rows() const { return static_cast<int64_t>(tiles.size()); }
};

// A feature file that does not belong to the index or to the others; what() names it.
class EmbeddingMismatch : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `key` reads encrypted feature files (Note [Encrypted feature files]); with `pseudonyms` the
// files are named by pseudonym (feature_parts.h).
EmbeddingTable read_embeddings(const data::TileIndex& index, const std::filesystem::path& dir,
                               const system::AesKey* key = nullptr,
                               const data::Pseudonyms* pseudonyms = nullptr);

}  // namespace pathodino::curate
