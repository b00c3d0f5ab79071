// Groups for balanced sampling: by a tile column (clusters) as runs of consecutive tiles, by a
// slide column otherwise, and a column that is neither is refused by name.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "data/index/tile_groups.h"
#include "data/index/tile_index.h"
#include "scratch_dir.h"

namespace pathodino::data {
namespace {

using Runs = std::vector<std::pair<int64_t, int64_t>>;

// Slide a (site A): clusters 0 0 0 1 1; slide b (site B): clusters 0 2 2 2 2.
std::filesystem::path two_slides(const testing_support::ScratchDir& dir) {
  TileIndexWriter writer;
  std::vector<uint32_t> clusters;
  const std::vector<std::vector<uint32_t>> per_slide{{0, 0, 0, 1, 1}, {0, 2, 2, 2, 2}};
  for (int s = 0; s < 2; ++s) {
    IndexedSlide slide;
    slide.path = s == 0 ? "a.svs" : "b.svs";
    slide.groups["site"] = s == 0 ? "A" : "B";
    const uint32_t grid = writer.add_grid({writer.add_slide(slide), 0.5, 224, 0, 224, 224});
    for (const uint32_t c : per_slide[static_cast<size_t>(s)]) {
      writer.add_tile({grid, static_cast<uint32_t>(clusters.size()), 0, 65535, 0});
      clusters.push_back(c);
    }
  }
  writer.set_tile_column("cluster_l1", clusters);
  const auto file = dir / "groups.pdidx";
  writer.write(file);
  return file;
}

TEST(TileGroups, ATileColumnGroupsRunsOfEqualValues) {
  testing_support::ScratchDir dir("tile_groups");
  const TileIndex index(two_slides(dir));
  const std::vector<SampleGroup> groups = tile_groups(index, "cluster_l1");
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].name, "#0");
  EXPECT_EQ(groups[0].runs, (Runs{{0, 3}, {5, 1}}));
  EXPECT_EQ(groups[1].name, "#1");
  EXPECT_EQ(groups[1].runs, (Runs{{3, 2}}));
  EXPECT_EQ(groups[2].name, "#2");
  EXPECT_EQ(groups[2].runs, (Runs{{6, 4}}));
  // Balanced over the clusters, each of the three gets a third of an epoch's draws.
  const GroupBalancedOrder order(groups, 0.0, 1, 30);
  EXPECT_EQ(order.quotas(), (std::vector<int64_t>{10, 10, 10}));
}

TEST(TileGroups, ASlideColumnGroupsWholeSlides) {
  testing_support::ScratchDir dir("tile_groups");
  const TileIndex index(two_slides(dir));
  const std::vector<SampleGroup> groups = tile_groups(index, "site");
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].name, "A");
  EXPECT_EQ(groups[0].runs, (Runs{{0, 5}}));
  EXPECT_EQ(groups[1].runs, (Runs{{5, 5}}));
}

TEST(TileGroups, AColumnThatIsNeitherIsRefusedByName) {
  testing_support::ScratchDir dir("tile_groups");
  const TileIndex index(two_slides(dir));
  try {
    tile_groups(index, "cluster_l3");
    ADD_FAILURE() << "an unknown column was accepted";
  } catch (const IndexError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("groups.pdidx: no slide has the group column 'cluster_l3' and no tile "
                        "column has that name"),
              std::string::npos)
        << what;
  }
}

}  // namespace
}  // namespace pathodino::data
