// Review pictures for pathologists: one PNG per cluster of every level, a grid of its tiles —
// first the ones nearest the cluster's centroid (what the cluster is), then a random draw from the
// rest (how varied it is), separated by a blank half-row. review_page.h shows them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "data/image_source.h"
#include "trainer/curate/embedding_table.h"
#include "trainer/curate/hierarchical_kmeans.h"

namespace pathodino::curate {

struct MosaicSettings {
  int64_t nearest = 24, random = 24;
  int64_t thumb_px = 96, columns = 8;
  uint64_t seed = 0;
};

struct ClusterMosaic {
  size_t level = 0;
  uint32_t cluster = 0;
  int64_t tiles = 0;                     // kept tiles of the cluster
  int64_t nearest = 0, random = 0;       // tiles shown of each kind
  int64_t unreadable = 0;                // shown as grey cells
  std::map<std::string, int64_t> sites;  // kept tiles by site
  std::string file;                      // relative to the output folder
};

// `tiles` reads the source index's tiles by position (table.tiles); `site_of_row` names each
// row's site. Writes out_dir/mosaics/cluster_lL_NNNN.png.
std::vector<ClusterMosaic> write_cluster_mosaics(
    const data::ImageSource& tiles, const EmbeddingTable& table, const KMeansHierarchy& clusters,
    const std::vector<uint8_t>& dropped, const std::vector<std::string>& site_of_row,
    const MosaicSettings& settings, const std::filesystem::path& out_dir);

}  // namespace pathodino::curate
