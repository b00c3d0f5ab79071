// A whole curation on feature files written as `embed` writes them: the curated index keeps all
// but the planted near-duplicates, carries its cluster columns as compact runs, the reports add
// up per slide and site, and folders that do not belong to the index are refused by file name.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "data/index/tile_groups.h"
#include "data/index/tile_index.h"
#include "scratch_dir.h"
#include "trainer/curate/curate_archive.h"
#include "trainer/curate/embedding_table.h"
#include "trainer/features/feature_file.h"
#include "trainer/features/feature_parts.h"

namespace pathodino::curate {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kDim = 32, kTilesPerSlide = 200, kCopiesPerSlide = 10;

// Three slides (sites A, A, B) of 200 tiles; each slide's last 10 tiles are noisy copies of its
// first 10. Features: one of four directions plus noise (two distinct tiles have cosine ≈ 0.5).
fs::path write_archive(const testing_support::ScratchDir& dir, const fs::path& features) {
  data::TileIndexWriter writer;
  for (int s = 0; s < 3; ++s) {
    data::IndexedSlide slide;
    slide.path = "/archive/slide_" + std::to_string(s) + ".svs";
    slide.groups["site"] = s < 2 ? "A" : "B";
    slide.mpp_x = slide.mpp_y = 0.25;
    const uint32_t grid = writer.add_grid({writer.add_slide(slide), 0.5, 224, 0, 448, 448});
    for (uint32_t t = 0; t < kTilesPerSlide; ++t) writer.add_tile({grid, t * 448, 0, 65535, 0});
  }
  const fs::path index_file = dir / "archive.pdidx";
  writer.write(index_file);
  const data::TileIndex index(index_file);
  std::mt19937 rng(4);
  std::normal_distribution<float> gauss(0.f, 1.f);
  fs::create_directories(features);
  for (const features::FeaturePart& part : features::plan_feature_parts(index)) {
    features::SlideFeatures f;
    f.info = {fs::path(index.slides()[part.slide].path).stem().string(),
              kTilesPerSlide,
              kDim,
              224,
              448,
              0.5,
              0.25,
              "teacher.safetensors",
              "ab12cd",
              "test"};
    for (int64_t t = 0; t < kTilesPerSlide; ++t) {
      std::vector<float> row(kDim);
      if (t >= kTilesPerSlide - kCopiesPerSlide) {
        const int64_t source = t - (kTilesPerSlide - kCopiesPerSlide);
        for (int64_t j = 0; j < kDim; ++j)
          row[j] = f.features[source * kDim + j] + 0.01f * gauss(rng);
      } else {
        for (float& x : row) x = 0.5f * gauss(rng);
        row[static_cast<size_t>(t % 4)] += 3.f;
      }
      f.features.insert(f.features.end(), row.begin(), row.end());
      f.coords.push_back(index.tile(part.tiles[static_cast<size_t>(t)]).x);
      f.coords.push_back(index.tile(part.tiles[static_cast<size_t>(t)]).y);
    }
    features::write_feature_file(features / part.file(), f);
  }
  return index_file;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

CurateOptions small_levels() {
  CurateOptions options;
  options.levels = {12, 4};
  options.duplicate_cosine = 0.97;
  return options;
}

TEST(CurateArchive, KeepsAllButTheCopiesWithCompactClusterColumns) {
  testing_support::ScratchDir dir("curate");
  const fs::path index_file = write_archive(dir, dir / "features");
  const CurateResult result =
      curate_archive(small_levels(), {index_file, dir / "features", dir / "curated", 7});
  EXPECT_EQ(result.embedded, 600);
  EXPECT_EQ(result.dropped, 3 * kCopiesPerSlide);
  EXPECT_EQ(result.kept, 600 - 3 * kCopiesPerSlide);
  EXPECT_EQ(result.duplicates.by_site.at("A").dropped, 2 * kCopiesPerSlide);
  EXPECT_EQ(result.duplicates.by_site.at("B").tiles, kTilesPerSlide);
  EXPECT_EQ(result.duplicates.by_slide.at("slide_1").dropped, kCopiesPerSlide);

  const data::TileIndex curated(result.curated_index);
  ASSERT_EQ(curated.size(), result.kept);
  EXPECT_EQ(curated.tile_column_names(), (std::vector<std::string>{"cluster_l1", "cluster_l2"}));
  EXPECT_EQ(curated.slides()[2].tiles, kTilesPerSlide - kCopiesPerSlide);
  // Sorted by cluster inside each slide: a cluster is at most one run per slide.
  const auto groups = data::tile_groups(curated, "cluster_l1");
  EXPECT_EQ(groups.size(), 12u);
  for (const auto& g : groups) EXPECT_LE(g.runs.size(), 3u) << "cluster " << g.name;
  // A level-2 cluster is a union of level-1 clusters.
  const auto l1 = curated.tile_column("cluster_l1"), l2 = curated.tile_column("cluster_l2");
  std::map<uint32_t, uint32_t> parent;
  for (size_t i = 0; i < l1.size(); ++i) {
    const auto [it, fresh] = parent.emplace(l1[i], l2[i]);
    EXPECT_EQ(it->second, l2[i]) << "level-1 cluster " << l1[i] << " has two parents";
  }

  // The slides of this index are not on disk: every mosaic cell is an unreadable grey one, and
  // the review page says so.
  const std::string page = read_text(dir / "curated" / "index.html");
  EXPECT_NE(page.find("unreadable (grey)"), std::string::npos);
  EXPECT_NE(page.find("570 tiles kept in curated.pdidx"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "curated" / "mosaics" / "cluster_l2_0000.png"));

  const std::string sites = read_text(dir / "curated" / "near_duplicates_by_site.csv");
  EXPECT_EQ(sites, "site,tiles,dropped\nA,400,20\nB,200,10\n");
  std::istringstream by_slide(read_text(dir / "curated" / "clusters_by_slide.csv"));
  std::string line;
  std::getline(by_slide, line);
  EXPECT_EQ(line, "level,cluster,slide,tiles");
  int64_t level1_total = 0;
  while (std::getline(by_slide, line))
    if (line.starts_with("cluster_l1,"))
      level1_total += std::stoll(line.substr(line.rfind(',') + 1));
  EXPECT_EQ(level1_total, result.kept);
}

TEST(CurateArchive, AMissingFileLeavesItsSlideOutAndIsNamed) {
  testing_support::ScratchDir dir("curate");
  const fs::path index_file = write_archive(dir, dir / "features");
  fs::remove(dir / "features" / "slide_1.h5");
  const CurateResult result =
      curate_archive(small_levels(), {index_file, dir / "features", dir / "curated", 7});
  EXPECT_EQ(result.missing, (std::vector<std::string>{"slide_1.h5"}));
  EXPECT_EQ(result.embedded, 400);
  EXPECT_EQ(data::TileIndex(result.curated_index).slides()[1].tiles, 0);
}

std::string refusal(const fs::path& index_file, const fs::path& features) {
  try {
    read_embeddings(data::TileIndex(index_file), features);
  } catch (const EmbeddingMismatch& e) {
    return e.what();
  }
  return "";
}

TEST(CurateArchive, FilesOfAnotherBackboneTileSizeOrIndexAreRefusedByName) {
  testing_support::ScratchDir dir("curate");
  const fs::path index_file = write_archive(dir, dir / "features");
  const fs::path file = dir / "features" / "slide_2.h5";
  features::SlideFeatures f = features::read_feature_file(file);
  f.info.backbone_sha256 = "ff00ff00ff00ff";
  features::write_feature_file(file, f);
  EXPECT_EQ(refusal(index_file, dir / "features"),
            file.string() + ": made with backbone teacher.safetensors (sha256 ff00ff00ff00), " +
                (dir / "features" / "slide_0.h5").string() +
                " with teacher.safetensors (sha256 ab12cd): one folder, one backbone");
  f.info.backbone_sha256 = "ab12cd";
  f.info.tile_size = 256;
  features::write_feature_file(file, f);
  EXPECT_NE(refusal(index_file, dir / "features")
                .find(file.string() + ": tiles of 256 px at 0.5 µm/px, the index"),
            std::string::npos);
  f.info.tile_size = 224;
  f.coords[2 * 5] += 1;
  features::write_feature_file(file, f);
  EXPECT_EQ(refusal(index_file, dir / "features"),
            file.string() +
                ": row 5 is the tile at (2241, 0), the index's is at (2240, 0): embed "
                "this index again");
  EXPECT_NE(refusal(index_file, dir / "nowhere").find("no feature file of"), std::string::npos);
}

}  // namespace
}  // namespace pathodino::curate
