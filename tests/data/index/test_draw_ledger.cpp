// The data ledger's count: draws and distinct tiles per slide for the first P positions of a
// sample order, epochs repeating tiles; an order that names tiles the index lacks is refused.
#include <gtest/gtest.h>

#include <vector>

#include "data/index/draw_ledger.h"
#include "data/index/tile_index.h"
#include "scratch_dir.h"

namespace pathodino::data {
namespace {

// Slide a with 3 tiles, slide b with 5.
std::filesystem::path eight_tiles(const testing_support::ScratchDir& dir) {
  TileIndexWriter writer;
  for (const auto& [path, tiles] : {std::pair{"a.svs", 3}, std::pair{"b.svs", 5}}) {
    IndexedSlide slide;
    slide.path = path;
    const uint32_t grid = writer.add_grid({writer.add_slide(slide), 0.5, 224, 0, 224, 224});
    for (int t = 0; t < tiles; ++t) writer.add_tile({grid, static_cast<uint32_t>(t), 0, 65535, 0});
  }
  const auto file = dir / "ledger.pdidx";
  writer.write(file);
  return file;
}

// Names tile p mod 8 at position p: slide a holds tiles 0-2, b tiles 3-7.
class Cycle final : public SampleOrder {
 public:
  explicit Cycle(int64_t size) : size_(size) {}
  int64_t at(int64_t position) const override { return position % size_; }
  int64_t epoch_length() const override { return size_; }

 private:
  int64_t size_;
};

TEST(DrawLedger, CountsDrawsAndDistinctTilesPerSlide) {
  testing_support::ScratchDir dir("draw_ledger");
  const TileIndex index(eight_tiles(dir));
  const SlideDraws five = count_draws(Cycle(8), index, 5);  // tiles 0..4
  EXPECT_EQ(five.draws, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(five.distinct_tiles, (std::vector<int64_t>{3, 2}));
  const SlideDraws twenty = count_draws(Cycle(8), index, 20);  // 2.5 epochs
  EXPECT_EQ(twenty.draws, (std::vector<int64_t>{9, 11}));
  EXPECT_EQ(twenty.distinct_tiles, (std::vector<int64_t>{3, 5}));
  EXPECT_EQ(count_draws(Cycle(8), index, 0).draws, (std::vector<int64_t>{0, 0}));
}

TEST(DrawLedger, AnOrderOverAnotherIndexIsRefused) {
  testing_support::ScratchDir dir("draw_ledger");
  const TileIndex index(eight_tiles(dir));
  EXPECT_THROW(count_draws(Cycle(9), index, 9), std::out_of_range);
  EXPECT_THROW(count_draws(Cycle(8), index, -1), std::invalid_argument);
}

}  // namespace
}  // namespace pathodino::data
