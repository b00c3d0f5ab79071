// Building the tile index from slides: list them (a folder, a glob, or a CSV manifest whose
// `path` column names the slides and whose other columns are group labels), then per slide —
// open, µm/px, tissue mask on the smallest pyramid level, a tile grid per target µm/px — in
// parallel threads. A slide that cannot be used is skipped with its reason; the index holds the
// rest, and with `qa_dir` a QA picture per slide (data/index/qa_thumbnail) is written there.
// Several processes (MPI ranks) share the work by taking every parts-th slide (index_slides),
// passing their results as bytes to one of them, which writes the index (write_index): the file
// is the same as one process would write.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "data/index/pseudonyms.h"

namespace pathodino::data {

struct SlideEntry {
  std::string path;
  std::map<std::string, std::string> groups;
};

// Throws std::runtime_error naming the manifest/folder when it cannot be read; a manifest row
// whose file is missing stays in the list (build_index reports it as skipped).
std::vector<SlideEntry> list_slides(const std::string& spec);

// A slide's identity whatever its file name: XXH3 of its size and first and last MiB (stored in
// the index as IndexedSlide::content_hash).
std::string slide_content_hash(const std::filesystem::path& file);

struct IndexBuildOptions {
  std::vector<double> target_mpp{0.5};
  int64_t tile_size = 224;
  double tissue_threshold = 0.6;
  double fallback_mpp = 0;  // 0: slides without µm/px are skipped
  int64_t threads = 1;
  std::filesystem::path qa_dir;  // empty: no QA pictures
  // Set: outcomes, reasons and QA pictures name slides by pseudonym (Note [Pseudonyms]).
  const Pseudonyms* pseudonyms = nullptr;
  // The tissue mask is computed on the smallest pyramid level; when that level is longer than
  // this (slides without a pyramid), on a thumbnail averaged from chunks of it instead.
  int64_t max_mask_side = 4096;
};

struct SlideOutcome {
  std::string path;
  std::string name;  // what reports show: the path, or its pseudonym
  bool ok = false;
  std::string reason;  // why it was skipped
  int64_t tiles = 0;
  double mpp = 0;
  std::string mpp_source;
  double tissue_share = 0;
  std::string qa_picture;  // path of its QA PNG, when written
};

struct IndexBuildReport {
  std::vector<SlideOutcome> slides;  // in input order
  int64_t tiles = 0;
  int64_t skipped() const;
};

IndexBuildReport build_index(const std::vector<SlideEntry>& slides,
                             const IndexBuildOptions& options, const std::filesystem::path& out);

// One slide's outcome and, when indexed, its table entry and tile grids.
struct SlideIndexResult;
struct SlideIndexResults {
  SlideIndexResults();
  ~SlideIndexResults();
  SlideIndexResults(SlideIndexResults&&) noexcept;
  SlideIndexResults& operator=(SlideIndexResults&&) noexcept;
  std::vector<SlideIndexResult> slides;
};

// Slides part, part + parts, part + 2·parts, … of `slides`, in options.threads threads.
SlideIndexResults index_slides(const std::vector<SlideEntry>& slides,
                               const IndexBuildOptions& options, int64_t part, int64_t parts);
std::string to_bytes(const SlideIndexResults& results);  // compact (CBOR)
SlideIndexResults from_bytes(const std::string& bytes);  // throws IndexError on damaged input
// The index of all parts' results (merged back into list order), atomically written to `out`.
IndexBuildReport write_index(std::vector<SlideIndexResults> parts,
                             const std::filesystem::path& out);

}  // namespace pathodino::data
