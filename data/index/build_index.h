// Building the tile index from slides: list them (a folder, a glob, or a CSV manifest whose
// `path` column names the slides and whose other columns are group labels), then per slide —
// open, µm/px, tissue mask on the smallest pyramid level, a tile grid per target µm/px — in
// parallel threads. A slide that cannot be used is skipped with its reason; the index holds the
// rest. (MPI-parallel indexing and QA thumbnails: not yet.)
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace pathodino::data {

struct SlideEntry {
  std::string path;
  std::map<std::string, std::string> groups;
};

// Throws std::runtime_error naming the manifest/folder when it cannot be read; a manifest row
// whose file is missing stays in the list (build_index reports it as skipped).
std::vector<SlideEntry> list_slides(const std::string& spec);

struct IndexBuildOptions {
  std::vector<double> target_mpp{0.5};
  int64_t tile_size = 224;
  double tissue_threshold = 0.6;
  double fallback_mpp = 0;  // 0: slides without µm/px are skipped
  int64_t threads = 1;
};

struct SlideOutcome {
  std::string path;
  bool ok = false;
  std::string reason;  // why it was skipped
  int64_t tiles = 0;
  double mpp = 0;
  std::string mpp_source;
  double tissue_share = 0;
};

struct IndexBuildReport {
  std::vector<SlideOutcome> slides;  // in input order
  int64_t tiles = 0;
  int64_t skipped() const;
};

IndexBuildReport build_index(const std::vector<SlideEntry>& slides,
                             const IndexBuildOptions& options, const std::filesystem::path& out);

}  // namespace pathodino::data
