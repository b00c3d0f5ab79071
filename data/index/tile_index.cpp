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
constexpr uint32_t kVersion = 1;

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t reserved;
  uint64_t tile_count;
  uint64_t tiles_offset;
  uint64_t table_offset;
  uint64_t table_bytes;
  uint64_t tiles_xxh3;
  uint8_t padding[8];
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
                          const std::vector<IndexedGrid>& grids) {
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
  return table;
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

void TileIndexWriter::write(const std::filesystem::path& file) const {
  const std::string table = table_json(slides_, grids_).dump();
  Header header{};
  std::memcpy(header.magic, kMagic, sizeof(kMagic));
  header.version = kVersion;
  header.tile_count = tiles_.size();
  header.tiles_offset = sizeof(Header);
  header.table_offset = sizeof(Header) + tiles_.size() * sizeof(IndexedTile);
  header.table_bytes = table.size();
  header.tiles_xxh3 = XXH3_64bits(tiles_.data(), tiles_.size() * sizeof(IndexedTile));

  const std::filesystem::path temporary = file.string() + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw IndexError(temporary.string() + ": cannot create: " + std::strerror(errno));
  try {
    write_all(fd, &header, sizeof(header), temporary);
    write_all(fd, tiles_.data(), tiles_.size() * sizeof(IndexedTile), temporary);
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
    if (std::memcmp(header.magic, kMagic, sizeof(kMagic)) != 0) fail("wrong magic");
    if (header.version != kVersion)
      fail("format version " + std::to_string(header.version) + ", this build reads " +
           std::to_string(kVersion));
    const uint64_t tiles_bytes = header.tile_count * sizeof(IndexedTile);
    if (header.tiles_offset != sizeof(Header) ||
        header.table_offset != header.tiles_offset + tiles_bytes ||
        header.table_offset + header.table_bytes != mapped_bytes_)
      fail("sizes do not add up (truncated or appended to?)");
    const auto* base = static_cast<const char*>(mapping_);
    tiles_ = reinterpret_cast<const IndexedTile*>(base + header.tiles_offset);
    tile_count_ = static_cast<int64_t>(header.tile_count);
    if (XXH3_64bits(tiles_, tiles_bytes) != header.tiles_xxh3)
      fail("tile records fail their checksum");
    const auto table = nlohmann::json::parse(base + header.table_offset,
                                             base + header.table_offset + header.table_bytes);
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

TileIndex::~TileIndex() {
  if (mapping_ != nullptr) ::munmap(mapping_, mapped_bytes_);
}

}  // namespace pathodino::data
