#include "trainer/curate/curated_index.h"

#include <algorithm>

namespace pathodino::curate {

std::string cluster_column(size_t level) { return "cluster_l" + std::to_string(level + 1); }

int64_t write_curated_index(const data::TileIndex& index, const EmbeddingTable& table,
                            const KMeansHierarchy& clusters, const std::vector<uint8_t>& dropped,
                            const std::filesystem::path& file) {
  std::vector<int64_t> rows;
  for (int64_t r = 0; r < table.rows(); ++r)
    if (!dropped[static_cast<size_t>(r)]) rows.push_back(r);
  // By grid (slides stay in index order), then cluster path from the top level, then position:
  // Note [Cluster runs].
  const auto tile_of = [&](int64_t r) { return table.tiles[static_cast<size_t>(r)]; };
  std::sort(rows.begin(), rows.end(), [&](int64_t a, int64_t b) {
    const uint32_t grid_a = index.tile(tile_of(a)).grid, grid_b = index.tile(tile_of(b)).grid;
    if (grid_a != grid_b) return grid_a < grid_b;
    for (auto level = clusters.levels.rbegin(); level != clusters.levels.rend(); ++level) {
      const uint32_t ca = level->of_vector[static_cast<size_t>(a)];
      const uint32_t cb = level->of_vector[static_cast<size_t>(b)];
      if (ca != cb) return ca < cb;
    }
    return tile_of(a) < tile_of(b);
  });

  data::TileIndexWriter writer;
  for (data::IndexedSlide slide : index.slides()) {
    slide.tiles = 0;  // counted again as the kept tiles are added
    writer.add_slide(std::move(slide));
  }
  for (const data::IndexedGrid& grid : index.grids()) writer.add_grid(grid);
  std::vector<std::vector<uint32_t>> columns(clusters.levels.size());
  for (const int64_t r : rows) {
    writer.add_tile(index.tile(table.tiles[static_cast<size_t>(r)]));
    for (size_t level = 0; level < columns.size(); ++level)
      columns[level].push_back(clusters.levels[level].of_vector[static_cast<size_t>(r)]);
  }
  for (size_t level = 0; level < columns.size(); ++level)
    writer.set_tile_column(cluster_column(level), std::move(columns[level]));
  writer.write(file);
  return static_cast<int64_t>(rows.size());
}

}  // namespace pathodino::curate
