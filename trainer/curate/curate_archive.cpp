#include "trainer/curate/curate_archive.h"

#include <chrono>
#include <sstream>

#include "data/index/tile_index.h"
#include "data/source/source_factory.h"
#include "data/source/wsi_tile_source.h"
#include "trainer/curate/cluster_mosaics.h"
#include "trainer/curate/curated_index.h"
#include "trainer/curate/embedding_table.h"
#include "trainer/curate/hierarchical_kmeans.h"
#include "trainer/curate/near_duplicates.h"
#include "trainer/curate/review_page.h"

namespace pathodino::curate {
namespace {

class Stopwatch {
 public:
  double lap() {
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    return seconds;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

std::vector<std::string> page_summary(const CurateOptions& options, const CurateResult& r) {
  std::string levels;
  for (const int64_t k : options.levels) levels += (levels.empty() ? "" : ", ") + std::to_string(k);
  return {std::to_string(r.embedded) + " of " + std::to_string(r.indexed) +
              " indexed tiles embedded by " + r.backbone + " (sha256 " +
              r.backbone_sha256.substr(0, 12) + ")",
          std::to_string(r.dropped) + " near-duplicate(s) dropped (cosine above " +
              (std::ostringstream() << options.duplicate_cosine).str() + "), " +
              std::to_string(r.kept) + " tiles kept in " + r.curated_index.filename().string(),
          "k-means clusters per level, finest first: " + levels};
}

void write_review(std::shared_ptr<const data::TileIndex> index, const EmbeddingTable& table,
                  const KMeansHierarchy& clusters, const std::vector<uint8_t>& dropped,
                  const CurateOptions& options, const CurateRequest& request,
                  const CurateResult& result) {
  const data::Pseudonyms* pseudonyms = request.pseudonyms ? &*request.pseudonyms : nullptr;
  const SlideNames names = slide_names_and_sites(*index, options.site_column, pseudonyms);
  std::vector<std::string> site_of_row;
  for (const int64_t tile : table.tiles)
    site_of_row.push_back(names[index->grids()[index->tile(tile).grid].slide].second);
  data::WsiReadOptions read;
  read.max_stand_ins = 0;  // a mosaic shows the cluster's own tiles or a grey cell, never another
  if (pseudonyms) read.pool.warn = data::slide_warnings(*index, -1, pseudonyms);
  const data::WsiTileSource tiles(index, read);
  MosaicSettings settings;
  settings.nearest = options.mosaic_nearest;
  settings.random = options.mosaic_random;
  settings.seed = request.seed;
  const auto mosaics = write_cluster_mosaics(tiles, table, clusters, dropped, site_of_row, settings,
                                             request.out_dir);
  write_review_page(mosaics, "Curation of " + request.index.filename().string(),
                    page_summary(options, result), request.out_dir);
}

}  // namespace

CurateResult curate_archive(const CurateOptions& options, const CurateRequest& request,
                            const CurateProgress& progress) {
  const auto say = [&](const std::string& line) {
    if (progress) progress(line);
  };
  Stopwatch clock;
  const auto shared_index = std::make_shared<const data::TileIndex>(request.index);
  const data::TileIndex& index = *shared_index;
  const data::Pseudonyms* pseudonyms = request.pseudonyms ? &*request.pseudonyms : nullptr;
  const EmbeddingTable table =
      read_embeddings(index, request.embeddings,
                      request.encryption_key ? &*request.encryption_key : nullptr, pseudonyms);
  CurateResult result;
  result.indexed = index.size();
  result.embedded = table.rows();
  result.missing = table.missing;
  result.backbone = table.backbone;
  result.backbone_sha256 = table.backbone_sha256;
  result.clusters = options.levels;
  result.read_seconds = clock.lap();
  say(std::to_string(table.rows()) + " embeddings of width " + std::to_string(table.dim) +
      " read (" + std::to_string(table.missing.size()) + " slide file(s) missing)");

  const KMeansHierarchy clusters = hierarchical_kmeans(
      table.vectors, table.dim,
      {options.levels, options.iterations, options.max_points_per_centroid, request.seed,
       options.resample_sizes, options.resampling_steps, options.restarts});
  result.kmeans_seconds = clock.lap();
  say("k-means levels fitted in " + std::to_string(result.kmeans_seconds) + " s");

  const std::vector<uint8_t> dropped =
      near_duplicates(table.vectors, clusters.levels.front().centroids, table.dim,
                      {options.duplicate_cosine, options.duplicate_probes});
  result.duplicate_seconds = clock.lap();
  for (const uint8_t d : dropped) result.dropped += d;
  say(std::to_string(result.dropped) + " near-duplicate(s) found in " +
      std::to_string(result.duplicate_seconds) + " s");

  std::filesystem::create_directories(request.out_dir);
  result.curated_index = request.out_dir / "curated.pdidx";
  result.kept = write_curated_index(index, table, clusters, dropped, result.curated_index);
  result.duplicates =
      write_curation_report(request.out_dir, index, table, clusters, dropped,
                            slide_names_and_sites(index, options.site_column, pseudonyms));
  if (options.mosaic_nearest + options.mosaic_random > 0) {
    write_review(shared_index, table, clusters, dropped, options, request, result);
    say("mosaics and index.html written in " + std::to_string(clock.lap()) + " s");
  }
  return result;
}

}  // namespace pathodino::curate
