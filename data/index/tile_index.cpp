#include "data/index/tile_index.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cstring>
#include <nlohmann/json.hpp>

namespace pathodino::data {
namespace {

constexpr char kMagic[8] = {'P', 'D', 'T', 'I', 'D', 'X', '\0', '\1'};
// Format 1 had no tile columns (its column_count and columns_xxh3 were zero padding): it reads as
// format 2 without columns.
constexpr uint32_t kVersion = 2;

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t column_count;
  uint64_t tile_count;
  uint64_t tiles_offset;
  uint64_t table_offset;
  uint64_t table_bytes;
  uint64_t tiles_xxh3;
  uint64_t columns_xxh3;
};
static_assert(sizeof(Header) == 64, "the header is 64 bytes on disk");

void write_all(int fd, const void* data, size_t bytes, const std::filesystem::path& file) {
  const auto* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t n = ::write(fd, p, bytes);
    if (n < 0) throw IndexError(file.string() + ": write failed: " + std::strerror(errno));
    p += n;
    bytes -= static_cast<size_t>(n);
  }
}

nlohmann::json table_json(const std::vector<IndexedSlide>& slides,
                          const std::vector<IndexedGrid>& grids,
                          const std::vector<std::string>& column_names) {
  nlohmann::json table;
  table["slides"] = nlohmann::json::array();
  for (const IndexedSlide& s : slides)
    table["slides"].push_back({{"path", s.path},
                               {"width", s.width},
                               {"height", s.height},
                               {"mpp_x", s.mpp_x},
                               {"mpp_y", s.mpp_y},
                               {"mpp_source", s.mpp_source},
                               {"vendor", s.vendor},
                               {"content_hash", s.content_hash},
                               {"levels", s.levels},
                               {"groups", s.groups},
                               {"tiles", s.tiles}});
  table["grids"] = nlohmann::json::array();
  for (const IndexedGrid& g : grids)
    table["grids"].push_back({{"slide", g.slide},
                              {"target_mpp", g.target_mpp},
                              {"tile_size", g.tile_size},
                              {"level", g.level},
                              {"read_size", g.read_size},
                              {"extent", g.extent}});
  table["tile_columns"] = column_names;
  return table;
}

// What is wrong with a header for a file of `file_bytes`; empty when nothing is.
std::string header_problem(const Header& header, size_t file_bytes) {
  if (std::memcmp(header.magic, kMagic, sizeof(kMagic)) != 0) return "wrong magic";
  if (header.version != 1 && header.version != kVersion)
    return "format version " + std::to_string(header.version) + ", this build reads 1 and " +
           std::to_string(kVersion);
  const uint64_t tiles_bytes = header.tile_count * sizeof(IndexedTile);
  const uint64_t column_bytes = header.column_count * header.tile_count * sizeof(uint32_t);
  if (header.tiles_offset != sizeof(Header) ||
      header.table_offset != header.tiles_offset + tiles_bytes + column_bytes ||
      header.table_offset + header.table_bytes != file_bytes)
    return "sizes do not add up (truncated or appended to?)";
  return "";
}

}  // namespace

uint32_t TileIndexWriter::add_slide(IndexedSlide slide) {
  slides_.push_back(std::move(slide));
  return static_cast<uint32_t>(slides_.size() - 1);
}

uint32_t TileIndexWriter::add_grid(IndexedGrid grid) {
  if (grid.slide >= slides_.size()) throw IndexError("tile index: a grid names an unknown slide");
  grids_.push_back(grid);
  return static_cast<uint32_t>(grids_.size() - 1);
}

void TileIndexWriter::add_tile(const IndexedTile& tile) {
  if (tile.grid >= grids_.size()) throw IndexError("tile index: a tile names an unknown grid");
  tiles_.push_back(tile);
  ++slides_[grids_[tile.grid].slide].tiles;
}

void TileIndexWriter::set_tile_column(const std::string& name, std::vector<uint32_t> values) {
  if (name.empty()) throw IndexError("tile index: a tile column needs a name");
  for (auto& [existing, column] : columns_)
    if (existing == name) {
      column = std::move(values);
      return;
    }
  columns_.emplace_back(name, std::move(values));
}

void TileIndexWriter::write(const std::filesystem::path& file) const {
  std::vector<std::string> names;
  std::vector<uint32_t> columns;
  for (const auto& [name, values] : columns_) {
    if (values.size() != tiles_.size())
      throw IndexError(file.string() + ": tile column '" + name + "' has " +
                       std::to_string(values.size()) + " values for " +
                       std::to_string(tiles_.size()) + " tiles");
    names.push_back(name);
    columns.insert(columns.end(), values.begin(), values.end());
  }
  const std::string table = table_json(slides_, grids_, names).dump();
  Header header{};
  std::memcpy(header.magic, kMagic, sizeof(kMagic));
  header.version = kVersion;
  header.column_count = static_cast<uint32_t>(names.size());
  header.tile_count = tiles_.size();
  header.tiles_offset = sizeof(Header);
  header.table_offset =
      sizeof(Header) + tiles_.size() * sizeof(IndexedTile) + columns.size() * sizeof(uint32_t);
  header.table_bytes = table.size();
  header.tiles_xxh3 = XXH3_64bits(tiles_.data(), tiles_.size() * sizeof(IndexedTile));
  header.columns_xxh3 = XXH3_64bits(columns.data(), columns.size() * sizeof(uint32_t));

  const std::filesystem::path temporary = file.string() + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw IndexError(temporary.string() + ": cannot create: " + std::strerror(errno));
  try {
    write_all(fd, &header, sizeof(header), temporary);
    write_all(fd, tiles_.data(), tiles_.size() * sizeof(IndexedTile), temporary);
    write_all(fd, columns.data(), columns.size() * sizeof(uint32_t), temporary);
    write_all(fd, table.data(), table.size(), temporary);
    if (::fsync(fd) != 0) throw IndexError(temporary.string() + ": fsync failed");
  } catch (...) {
    ::close(fd);
    std::filesystem::remove(temporary);
    throw;
  }
  ::close(fd);
  std::filesystem::rename(temporary, file);
  const std::filesystem::path dir = file.has_parent_path() ? file.parent_path() : ".";
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

TileIndex::TileIndex(const std::filesystem::path& file) : file_(file) {
  const auto fail = [&](const std::string& why) {
    throw IndexError(file.string() + ": not a usable tile index: " + why);
  };
  const int fd = ::open(file.c_str(), O_RDONLY);
  if (fd < 0) throw IndexError(file.string() + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  ::fstat(fd, &st);
  mapped_bytes_ = static_cast<size_t>(st.st_size);
  if (mapped_bytes_ < sizeof(Header)) {
    ::close(fd);
    fail("shorter than its header");
  }
  mapping_ = ::mmap(nullptr, mapped_bytes_, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (mapping_ == MAP_FAILED) {
    mapping_ = nullptr;
    throw IndexError(file.string() + ": mmap failed: " + std::strerror(errno));
  }
  try {
    Header header;
    std::memcpy(&header, mapping_, sizeof(header));
    if (const std::string why = header_problem(header, mapped_bytes_); !why.empty()) fail(why);
    const uint64_t tiles_bytes = header.tile_count * sizeof(IndexedTile);
    const uint64_t column_bytes = header.column_count * header.tile_count * sizeof(uint32_t);
    const auto* base = static_cast<const char*>(mapping_);
    tiles_ = reinterpret_cast<const IndexedTile*>(base + header.tiles_offset);
    tile_count_ = static_cast<int64_t>(header.tile_count);
    if (XXH3_64bits(tiles_, tiles_bytes) != header.tiles_xxh3)
      fail("tile records fail their checksum");
    columns_ = reinterpret_cast<const uint32_t*>(base + header.tiles_offset + tiles_bytes);
    if (header.column_count > 0 && XXH3_64bits(columns_, column_bytes) != header.columns_xxh3)
      fail("tile columns fail their checksum");
    read_table(base + header.table_offset, base + header.table_offset + header.table_bytes);
    if (column_names_.size() != header.column_count)
      fail("the table names " + std::to_string(column_names_.size()) +
           " tile columns, the header " + std::to_string(header.column_count));
  } catch (const nlohmann::json::exception& e) {
    ::munmap(mapping_, mapped_bytes_);
    mapping_ = nullptr;
    throw IndexError(file.string() + ": not a usable tile index: slide table: " + e.what());
  } catch (...) {
    ::munmap(mapping_, mapped_bytes_);
    mapping_ = nullptr;
    throw;
  }
}

void TileIndex::read_table(const char* begin, const char* end) {
  const auto table = nlohmann::json::parse(begin, end);
  for (const auto& s : table.at("slides")) {
    IndexedSlide slide;
    slide.path = s.at("path");
    slide.width = s.at("width");
    slide.height = s.at("height");
    slide.mpp_x = s.at("mpp_x");
    slide.mpp_y = s.at("mpp_y");
    slide.mpp_source = s.at("mpp_source");
    slide.vendor = s.at("vendor");
    slide.content_hash = s.at("content_hash");
    slide.levels = s.at("levels");
    slide.groups = s.at("groups").get<std::map<std::string, std::string>>();
    slide.tiles = s.at("tiles");
    slides_.push_back(std::move(slide));
  }
  for (const auto& g : table.at("grids"))
    grids_.push_back({g.at("slide"), g.at("target_mpp"), g.at("tile_size"), g.at("level"),
                      g.at("read_size"), g.at("extent")});
  if (table.contains("tile_columns"))
    column_names_ = table.at("tile_columns").get<std::vector<std::string>>();
}

std::span<const uint32_t> TileIndex::tile_column(const std::string& name) const {
  for (size_t c = 0; c < column_names_.size(); ++c)
    if (column_names_[c] == name)
      return {columns_ + c * static_cast<size_t>(tile_count_), static_cast<size_t>(tile_count_)};
  return {};
}

TileIndex::~TileIndex() {
  if (mapping_ != nullptr) ::munmap(mapping_, mapped_bytes_);
}

}  // namespace pathodino::data
