// The tile index file: what is written reads back through the memory map, the write is atomic, and
// every kind of damage is refused with the file's name and the reason.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data/index/tile_index.h"
#include "scratch_dir.h"

namespace pathodino::data {
namespace {

namespace fs = std::filesystem;

class TileIndexFile : public testing::Test {
 protected:
  void SetUp() override {
    file_ = dir_ / "tiles.pdidx";
    TileIndexWriter writer;
    for (int s = 0; s < 2; ++s) {
      IndexedSlide slide;
      slide.path = "/slides/s" + std::to_string(s) + ".svs";
      slide.width = 40000 + s;
      slide.height = 30000;
      slide.mpp_x = slide.mpp_y = 0.25 * (s + 1);
      slide.mpp_source = s == 0 ? "openslide.mpp" : "tiff resolution";
      slide.vendor = "aperio";
      slide.content_hash = "abc" + std::to_string(s);
      slide.levels = 4;
      slide.groups = {{"site", s == 0 ? "A" : "B"}, {"patient", "p" + std::to_string(s)}};
      const uint32_t id = writer.add_slide(slide);
      const uint32_t grid = writer.add_grid({id, 0.5, 224, 1, 224, 448});
      for (uint32_t t = 0; t < 500 + 100 * s; ++t)
        writer.add_tile({grid, t * 448, (t % 7) * 448, static_cast<uint16_t>(40000 + t), 0});
    }
    writer.write(file_);
  }

  std::string error_opening(const fs::path& file) {
    try {
      TileIndex index(file);
    } catch (const IndexError& e) {
      return e.what();
    }
    return "";
  }

  fs::path damaged(const std::string& name, long offset, const std::string& bytes,
                   long truncate_to = -1, const std::string& append = "") {
    const fs::path copy = dir_ / name;
    fs::copy_file(file_, copy);
    if (!bytes.empty()) {
      std::fstream f(copy, std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(offset);
      f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    if (truncate_to >= 0) fs::resize_file(copy, static_cast<uintmax_t>(truncate_to));
    if (!append.empty()) std::ofstream(copy, std::ios::app | std::ios::binary) << append;
    return copy;
  }

  testing_support::ScratchDir scratch_{"index"};
  const fs::path& dir_ = scratch_.path();
  fs::path file_;
};

TEST_F(TileIndexFile, ReadsBackWhatWasWritten) {
  EXPECT_FALSE(fs::exists(file_.string() + ".tmp"));
  // 64-byte header, 16 bytes per tile, and a slide table of a few hundred bytes.
  EXPECT_GT(fs::file_size(file_), 64u + 1100u * 16);
  EXPECT_LT(fs::file_size(file_), 64u + 1100u * 16 + 2048);
  const TileIndex index(file_);
  ASSERT_EQ(index.size(), 1100);
  ASSERT_EQ(index.slides().size(), 2u);
  EXPECT_EQ(index.slides()[1].path, "/slides/s1.svs");
  EXPECT_EQ(index.slides()[1].width, 40001);
  EXPECT_DOUBLE_EQ(index.slides()[1].mpp_x, 0.5);
  EXPECT_EQ(index.slides()[1].mpp_source, "tiff resolution");
  EXPECT_EQ(index.slides()[0].groups.at("site"), "A");
  EXPECT_EQ(index.slides()[0].tiles, 500);
  EXPECT_EQ(index.slides()[1].tiles, 600);
  ASSERT_EQ(index.grids().size(), 2u);
  EXPECT_EQ(index.grids()[1].slide, 1u);
  EXPECT_EQ(index.grids()[1].extent, 448);
  const IndexedTile& t = index.tile(500 + 13);
  EXPECT_EQ(t.grid, 1u);
  EXPECT_EQ(t.x, 13u * 448);
  EXPECT_EQ(t.y, 6u * 448);
  EXPECT_EQ(t.tissue, 40013);
}

TEST_F(TileIndexFile, DamageIsRefusedWithTheReason) {
  const std::string name = file_.string();
  EXPECT_EQ(error_opening(dir_ / "nope.pdidx"),
            (dir_ / "nope.pdidx").string() + ": cannot open: No such file or directory");
  const fs::path magic = damaged("magic.pdidx", 0, "XX");
  EXPECT_EQ(error_opening(magic), magic.string() + ": not a usable tile index: wrong magic");
  const fs::path version = damaged("version.pdidx", 8, std::string("\x07\0\0\0", 4));
  EXPECT_EQ(
      error_opening(version),
      version.string() + ": not a usable tile index: format version 7, this build reads 1 and 2");
  const fs::path bitflip = damaged("flip.pdidx", 64 + 16 * 200 + 4, "\xff");
  EXPECT_EQ(error_opening(bitflip),
            bitflip.string() + ": not a usable tile index: tile records fail their checksum");
  const fs::path cut = damaged("cut.pdidx", 0, "", static_cast<long>(fs::file_size(file_)) - 10);
  EXPECT_EQ(error_opening(cut), cut.string() +
                                    ": not a usable tile index: sizes do not add up (truncated or "
                                    "appended to?)");
  const fs::path longer = damaged("long.pdidx", 0, "", -1, "junk");
  EXPECT_NE(error_opening(longer).find("sizes do not add up"), std::string::npos);
  const fs::path tiny = damaged("tiny.pdidx", 0, "", 10);
  EXPECT_EQ(error_opening(tiny),
            tiny.string() + ": not a usable tile index: shorter than its header");
}

TEST_F(TileIndexFile, AFormatOneFileReadsAsOneWithoutColumns) {
  // Format 1 is format 2 with no tile columns: its column fields were zero padding.
  const fs::path old = damaged("v1.pdidx", 8, std::string("\x01\0\0\0", 4));
  const TileIndex index(old);
  EXPECT_EQ(index.size(), 1100);
  EXPECT_TRUE(index.tile_column_names().empty());
  EXPECT_TRUE(index.tile_column("cluster_l1").empty());
}

TEST(TileIndexColumns, ReadBackAndDamageIsRefused) {
  testing_support::ScratchDir scratch("index_columns");
  const fs::path file = scratch / "columns.pdidx";
  TileIndexWriter writer;
  IndexedSlide slide;
  slide.path = "a.svs";
  const uint32_t grid = writer.add_grid({writer.add_slide(slide), 0.5, 224, 0, 224, 224});
  std::vector<uint32_t> l1, l2;
  for (uint32_t t = 0; t < 300; ++t) {
    writer.add_tile({grid, t, 0, 65535, 0});
    l1.push_back(t / 7);
    l2.push_back(t / 70);
  }
  writer.set_tile_column("cluster_l1", {1, 2, 3});
  try {
    writer.write(file);
    ADD_FAILURE() << "a column shorter than the tiles was written";
  } catch (const IndexError& e) {
    EXPECT_NE(std::string(e.what()).find("tile column 'cluster_l1' has 3 values for 300 tiles"),
              std::string::npos)
        << e.what();
  }
  writer.set_tile_column("cluster_l1", l1);
  writer.set_tile_column("cluster_l2", l2);
  writer.write(file);
  {
    const TileIndex index(file);
    EXPECT_EQ(index.tile_column_names(), (std::vector<std::string>{"cluster_l1", "cluster_l2"}));
    const auto read_l2 = index.tile_column("cluster_l2");
    EXPECT_EQ(std::vector<uint32_t>(read_l2.begin(), read_l2.end()), l2);
    EXPECT_EQ(index.tile(299).x, 299u);
  }
  // One flipped bit in the column section (after the 64-byte header and 300 tile records).
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(64 + 300 * 16 + 4 * 310);
    f.put('\x7f');
  }
  try {
    TileIndex damaged(file);
    ADD_FAILURE() << "a damaged column was read";
  } catch (const IndexError& e) {
    EXPECT_EQ(std::string(e.what()),
              file.string() + ": not a usable tile index: tile columns fail their checksum");
  }
}

}  // namespace
}  // namespace pathodino::data
