// The curated tile index: the source index's slides and grids, its tiles less the near-duplicates
// (and the tiles of slides that had no feature file), with one tile column per k-means level
// (cluster_l1 the finest).
//
// Note [Cluster runs]: each slide's tiles are sorted by their clusters, top level first, so at
// every level a cluster is a few runs of consecutive tiles per slide. Balanced sampling over a
// cluster column (`data.wsi.balance_by: cluster_l1`, data/index/tile_groups.cpp) stores a
// cluster's tiles as such runs: a few words per slide and cluster, not one per tile.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/index/tile_index.h"
#include "trainer/curate/embedding_table.h"
#include "trainer/curate/hierarchical_kmeans.h"

namespace pathodino::curate {

// "cluster_l1", "cluster_l2", …: the tile column of level `level` (0-based).
std::string cluster_column(size_t level);

// Writes atomically; returns the number of tiles written.
int64_t write_curated_index(const data::TileIndex& index, const EmbeddingTable& table,
                            const KMeansHierarchy& clusters, const std::vector<uint8_t>& dropped,
                            const std::filesystem::path& file);

}  // namespace pathodino::curate
