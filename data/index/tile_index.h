// The tile index: every kept tile of every slide, built once by `pathodino index` and memory-mapped
// at training time, so millions of tiles cost 16 bytes each and no start-up parsing.
//
// File layout (little-endian):
//   64-byte header  magic "PDTIDX\0\1", format version, tile count, offsets and sizes of the two
//                   sections, XXH3-64 of the tile records;
//   tile records    16 bytes each: grid id, level-0 x and y, tissue share (×65535), flags;
//   tile columns    (format 2) per named column one uint32 per tile, e.g. the clusters `curate`
//                   assigns (cluster_l1, cluster_l2, …), with their own XXH3-64;
//   table (JSON)    the slides (path, size, µm/px and its source, levels, vendor, content hash,
//                   group labels, tile count) and the grids (slide, target µm/px, tile size, level,
//                   read size, extent) the tiles refer to, and the tile columns' names.
// Written to a temporary file, fsync'ed and renamed: a reader never sees half an index.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace pathodino::data {

struct IndexedTile {
  uint32_t grid = 0;
  uint32_t x = 0, y = 0;  // level-0 top-left
  uint16_t tissue = 0;    // share of tissue × 65535
  uint16_t flags = 0;
};
static_assert(sizeof(IndexedTile) == 16, "tile records are 16 bytes on disk");

struct IndexedGrid {
  uint32_t slide = 0;
  double target_mpp = 0;
  int64_t tile_size = 0;  // pixels at target_mpp
  int32_t level = 0;      // pyramid level to read
  int64_t read_size = 0;  // square side read at `level`
  int64_t extent = 0;     // level-0 pixels per tile side
};

struct IndexedSlide {
  std::string path;
  int64_t width = 0, height = 0;
  double mpp_x = 0, mpp_y = 0;
  std::string mpp_source, vendor, content_hash;
  int32_t levels = 0;
  std::map<std::string, std::string> groups;  // e.g. patient, site, scanner
  int64_t tiles = 0;
};

class IndexError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class TileIndexWriter {
 public:
  // Adds a grid of `slide` (added first with add_slide); returns the grid id for its tiles.
  uint32_t add_slide(IndexedSlide slide);
  uint32_t add_grid(IndexedGrid grid);
  void add_tile(const IndexedTile& tile);
  // A per-tile value, one per tile added (checked at write); replaces a column of the same name.
  void set_tile_column(const std::string& name, std::vector<uint32_t> values);
  int64_t tile_count() const { return static_cast<int64_t>(tiles_.size()); }
  // Atomic: temporary file, fsync, rename, fsync of the directory.
  void write(const std::filesystem::path& file) const;

 private:
  std::vector<IndexedSlide> slides_;
  std::vector<IndexedGrid> grids_;
  std::vector<IndexedTile> tiles_;
  std::vector<std::pair<std::string, std::vector<uint32_t>>> columns_;
};

// A read-only, memory-mapped index. Opening checks the magic, the version, the sizes and the
// checksum of the tile records; any mismatch throws IndexError naming the file and what is wrong.
class TileIndex {
 public:
  explicit TileIndex(const std::filesystem::path& file);
  ~TileIndex();
  TileIndex(const TileIndex&) = delete;
  TileIndex& operator=(const TileIndex&) = delete;

  int64_t size() const { return tile_count_; }
  const IndexedTile& tile(int64_t i) const { return tiles_[i]; }
  const std::vector<IndexedSlide>& slides() const { return slides_; }
  const std::vector<IndexedGrid>& grids() const { return grids_; }
  const std::filesystem::path& file() const { return file_; }
  // The tile columns' names in file order; a column's values, one per tile (empty when absent).
  const std::vector<std::string>& tile_column_names() const { return column_names_; }
  std::span<const uint32_t> tile_column(const std::string& name) const;

 private:
  void read_table(const char* begin, const char* end);

  std::filesystem::path file_;
  void* mapping_ = nullptr;
  size_t mapped_bytes_ = 0;
  const IndexedTile* tiles_ = nullptr;
  int64_t tile_count_ = 0;
  std::vector<IndexedSlide> slides_;
  std::vector<IndexedGrid> grids_;
  std::vector<std::string> column_names_;
  const uint32_t* columns_ = nullptr;  // column c at columns_ + c * size()
};

}  // namespace pathodino::data
