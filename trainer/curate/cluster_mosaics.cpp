#include "trainer/curate/cluster_mosaics.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "data/augment/resized_crop.h"
#include "data/image_file/image_file.h"

namespace pathodino::curate {
namespace {

constexpr int64_t kGap = 2;           // pixels around each cell
constexpr uint8_t kUnreadable = 160;  // grey cell of a tile that could not be read

std::string mosaic_name(size_t level, uint32_t cluster) {
  char name[64];
  std::snprintf(name, sizeof(name), "mosaics/cluster_l%zu_%04u.png", level + 1, cluster);
  return name;
}

// The kept rows of every cluster of `level`, most similar to the cluster's centroid first.
std::vector<std::vector<int64_t>> members_nearest_first(const EmbeddingTable& table,
                                                        const KMeansLevel& level,
                                                        const std::vector<uint8_t>& dropped) {
  std::vector<std::vector<std::pair<float, int64_t>>> scored(static_cast<size_t>(level.clusters));
  const size_t dim = static_cast<size_t>(table.dim);
  for (size_t r = 0; r < dropped.size(); ++r) {
    if (dropped[r]) continue;
    const uint32_t c = level.of_vector[r];
    const float* v = table.vectors.data() + r * dim;
    const float* centroid = level.centroids.data() + c * dim;
    float dot = 0;
    for (size_t j = 0; j < dim; ++j) dot += v[j] * centroid[j];
    scored[c].emplace_back(-dot, static_cast<int64_t>(r));
  }
  std::vector<std::vector<int64_t>> out;
  for (auto& members : scored) {
    std::sort(members.begin(), members.end());
    out.emplace_back();
    for (const auto& [score, row] : members) out.back().push_back(row);
  }
  return out;
}

class Canvas {
 public:
  Canvas(int64_t cells_nearest, int64_t cells_random, const MosaicSettings& s) : s_(s) {
    rows_nearest_ = (cells_nearest + s.columns - 1) / s.columns;
    const int64_t rows_random = (cells_random + s.columns - 1) / s.columns;
    const int64_t cell = s.thumb_px + kGap;
    image_.width = s.columns * cell + kGap;
    // A blank half-row between the nearest tiles and the random ones.
    image_.height = (rows_nearest_ + rows_random) * cell + kGap + (rows_random > 0 ? cell / 2 : 0);
    image_.pixels.assign(static_cast<size_t>(image_.width * image_.height * 3), 255);
  }

  void paste(const data::RgbImage* tile, int64_t index, bool random_part) {
    const int64_t cell = s_.thumb_px + kGap;
    const int64_t row = index / s_.columns + (random_part ? rows_nearest_ : 0);
    const int64_t top = kGap + row * cell + (random_part ? cell / 2 : 0);
    const int64_t left = kGap + (index % s_.columns) * cell;
    data::FloatImage thumb;
    if (tile) thumb = data::crop_and_resize(*tile, {0, 0, tile->height, tile->width}, s_.thumb_px);
    for (int64_t y = 0; y < s_.thumb_px; ++y)
      for (int64_t x = 0; x < s_.thumb_px; ++x)
        for (int c = 0; c < 3; ++c) {
          const float v = tile ? thumb.plane(c)[y * s_.thumb_px + x] : kUnreadable / 255.f;
          image_.pixels[static_cast<size_t>(((top + y) * image_.width + left + x) * 3 + c)] =
              static_cast<uint8_t>(std::clamp(v * 255.f + 0.5f, 0.f, 255.f));
        }
  }

  const data::RgbImage& image() const { return image_; }

 private:
  MosaicSettings s_;
  int64_t rows_nearest_ = 0;
  data::RgbImage image_;
};

// Pastes the tiles of `rows` and returns how many could not be read.
int64_t paste_all(Canvas& canvas, const std::vector<int64_t>& rows, bool random_part,
                  const data::ImageSource& tiles, const EmbeddingTable& table) {
  int64_t unreadable = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    try {
      const data::LabelledImage tile = tiles.read(table.tiles[static_cast<size_t>(rows[i])]);
      canvas.paste(&tile.image, static_cast<int64_t>(i), random_part);
    } catch (const std::exception&) {
      canvas.paste(nullptr, static_cast<int64_t>(i), random_part);
      ++unreadable;
    }
  }
  return unreadable;
}

}  // namespace

std::vector<ClusterMosaic> write_cluster_mosaics(
    const data::ImageSource& tiles, const EmbeddingTable& table, const KMeansHierarchy& clusters,
    const std::vector<uint8_t>& dropped, const std::vector<std::string>& site_of_row,
    const MosaicSettings& settings, const std::filesystem::path& out_dir) {
  std::filesystem::create_directories(out_dir / "mosaics");
  std::vector<ClusterMosaic> out;
  std::mt19937_64 rng(settings.seed);
  for (size_t level = 0; level < clusters.levels.size(); ++level) {
    const auto members = members_nearest_first(table, clusters.levels[level], dropped);
    for (uint32_t c = 0; c < members.size(); ++c) {
      const std::vector<int64_t>& rows = members[c];
      ClusterMosaic m;
      m.level = level;
      m.cluster = c;
      m.tiles = static_cast<int64_t>(rows.size());
      for (const int64_t r : rows) ++m.sites[site_of_row[static_cast<size_t>(r)]];
      const auto split = rows.begin() + std::min<int64_t>(settings.nearest, m.tiles);
      const std::vector<int64_t> nearest(rows.begin(), split);
      std::vector<int64_t> random;
      std::sample(split, rows.end(), std::back_inserter(random), settings.random, rng);
      m.nearest = static_cast<int64_t>(nearest.size());
      m.random = static_cast<int64_t>(random.size());
      Canvas canvas(m.nearest, m.random, settings);
      m.unreadable = paste_all(canvas, nearest, false, tiles, table) +
                     paste_all(canvas, random, true, tiles, table);
      m.file = mosaic_name(level, c);
      if (m.tiles > 0) data::write_png(canvas.image(), out_dir / m.file);
      out.push_back(std::move(m));
    }
  }
  return out;
}

}  // namespace pathodino::curate
