// What a curation did, as CSV files a data steward or a pathologist reads:
//   clusters_by_slide.csv       level, cluster, slide, tiles   (kept tiles)
//   clusters_by_site.csv        level, cluster, site, tiles
//   near_duplicates_by_slide.csv  slide, site, tiles, dropped  (tiles embedded, dropped as copies)
//   near_duplicates_by_site.csv   site, tiles, dropped
// Slides are named as their feature files name them (the file stem, or the pseudonym: Note
// [Pseudonyms]), sites by the slide column the options name ("(none)" for a slide without it).
// Files are written atomically.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "data/index/pseudonyms.h"
#include "data/index/tile_index.h"
#include "trainer/curate/embedding_table.h"
#include "trainer/curate/hierarchical_kmeans.h"

namespace pathodino::curate {

struct DuplicateCount {
  int64_t tiles = 0, dropped = 0;
};

struct DuplicateCounts {
  std::map<std::string, DuplicateCount> by_slide, by_site;
  std::map<std::string, std::string> site_of_slide;
};

// The name and site of every slide of an index, in index order.
using SlideNames = std::vector<std::pair<std::string, std::string>>;
SlideNames slide_names_and_sites(const data::TileIndex& index, const std::string& site_column,
                                 const data::Pseudonyms* pseudonyms = nullptr);

DuplicateCounts count_duplicates(const data::TileIndex& index, const EmbeddingTable& table,
                                 const std::vector<uint8_t>& dropped, const SlideNames& names);

// Writes the four CSV files; returns the near-duplicate counts they hold.
DuplicateCounts write_curation_report(const std::filesystem::path& out_dir,
                                      const data::TileIndex& index, const EmbeddingTable& table,
                                      const KMeansHierarchy& clusters,
                                      const std::vector<uint8_t>& dropped, const SlideNames& names);

}  // namespace pathodino::curate
