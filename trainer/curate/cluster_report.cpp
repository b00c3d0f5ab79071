#include "trainer/curate/cluster_report.h"

#include <tuple>

#include "data/csv_line.h"
#include "trainer/features/feature_parts.h"
#include "trainer/system/durable_file.h"

namespace pathodino::curate {
namespace {

using data::quote_csv_cell;

uint32_t slide_of_row(const data::TileIndex& index, const EmbeddingTable& table, size_t r) {
  return index.grids()[index.tile(table.tiles[r]).grid].slide;
}

void write_cluster_sizes(const std::filesystem::path& out_dir, const data::TileIndex& index,
                         const EmbeddingTable& table, const KMeansHierarchy& clusters,
                         const std::vector<uint8_t>& dropped, const SlideNames& names) {
  // (level, cluster, slide or site) -> kept tiles; std::map keeps the rows sorted.
  std::map<std::tuple<size_t, uint32_t, std::string>, int64_t> by_slide, by_site;
  for (size_t r = 0; r < dropped.size(); ++r) {
    if (dropped[r]) continue;
    const auto& [slide, site] = names[slide_of_row(index, table, r)];
    for (size_t level = 0; level < clusters.levels.size(); ++level) {
      const uint32_t c = clusters.levels[level].of_vector[r];
      ++by_slide[{level, c, slide}];
      ++by_site[{level, c, site}];
    }
  }
  const auto write = [&](const std::string& file, const std::string& column, const auto& counts) {
    std::string csv = "level,cluster," + column + ",tiles\n";
    for (const auto& [key, tiles] : counts)
      csv += "cluster_l" + std::to_string(std::get<0>(key) + 1) + "," +
             std::to_string(std::get<1>(key)) + "," + quote_csv_cell(std::get<2>(key)) + "," +
             std::to_string(tiles) + "\n";
    system::write_file_durably(out_dir / file, csv);
  };
  write("clusters_by_slide.csv", "slide", by_slide);
  write("clusters_by_site.csv", "site", by_site);
}

}  // namespace

SlideNames slide_names_and_sites(const data::TileIndex& index, const std::string& site_column,
                                 const data::Pseudonyms* pseudonyms) {
  SlideNames out;
  const std::vector<std::string> names = features::feature_slide_names(index, pseudonyms);
  for (const data::IndexedSlide& slide : index.slides()) {
    const auto site = slide.groups.find(site_column);
    out.emplace_back(names[out.size()],
                     site == slide.groups.end() || site->second.empty() ? "(none)" : site->second);
  }
  return out;
}

DuplicateCounts count_duplicates(const data::TileIndex& index, const EmbeddingTable& table,
                                 const std::vector<uint8_t>& dropped, const SlideNames& names) {
  DuplicateCounts counts;
  for (size_t r = 0; r < dropped.size(); ++r) {
    const auto& [slide, site] = names[slide_of_row(index, table, r)];
    counts.site_of_slide[slide] = site;
    for (DuplicateCount* c : {&counts.by_slide[slide], &counts.by_site[site]}) {
      ++c->tiles;
      c->dropped += dropped[r];
    }
  }
  return counts;
}

DuplicateCounts write_curation_report(const std::filesystem::path& out_dir,
                                      const data::TileIndex& index, const EmbeddingTable& table,
                                      const KMeansHierarchy& clusters,
                                      const std::vector<uint8_t>& dropped,
                                      const SlideNames& names) {
  write_cluster_sizes(out_dir, index, table, clusters, dropped, names);
  const DuplicateCounts counts = count_duplicates(index, table, dropped, names);
  std::string slides = "slide,site,tiles,dropped\n", sites = "site,tiles,dropped\n";
  for (const auto& [slide, c] : counts.by_slide)
    slides += quote_csv_cell(slide) + "," + quote_csv_cell(counts.site_of_slide.at(slide)) + "," +
              std::to_string(c.tiles) + "," + std::to_string(c.dropped) + "\n";
  for (const auto& [site, c] : counts.by_site)
    sites += quote_csv_cell(site) + "," + std::to_string(c.tiles) + "," +
             std::to_string(c.dropped) + "\n";
  system::write_file_durably(out_dir / "near_duplicates_by_slide.csv", slides);
  system::write_file_durably(out_dir / "near_duplicates_by_site.csv", sites);
  return counts;
}

}  // namespace pathodino::curate
