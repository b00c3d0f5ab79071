// `pathodino curate`, as a function: an index's tile embeddings (the folder `embed` wrote) →
// hierarchical k-means → near-duplicates dropped → the curated index with its cluster columns and
// the report files (cluster_report.h), all in `out_dir`:
//   curated.pdidx   train on it with data.wsi.index, balance with data.wsi.balance_by: cluster_l1
// The k-means levels are fitted on every embedded tile; the near-duplicate search then walks the
// tiles in index order through the finest level's clusters (near_duplicates.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "data/index/pseudonyms.h"
#include "trainer/curate/cluster_report.h"
#include "trainer/curate/curate_options.h"
#include "trainer/system/aes_gcm.h"

namespace pathodino::curate {

struct CurateRequest {
  std::filesystem::path index, embeddings, out_dir;
  uint64_t seed = 0;
  std::optional<system::AesKey> encryption_key;  // of encrypted feature files
  std::optional<data::Pseudonyms> pseudonyms;    // files and reports name slides so
};

struct CurateResult {
  int64_t indexed = 0, embedded = 0, dropped = 0, kept = 0;
  std::vector<std::string> missing;  // feature files not found: their slides are left out
  std::vector<int64_t> clusters;     // per level
  std::string backbone, backbone_sha256;
  double read_seconds = 0, kmeans_seconds = 0, duplicate_seconds = 0;
  DuplicateCounts duplicates;
  std::filesystem::path curated_index;
};

// Called with a line at each stage.
using CurateProgress = std::function<void(const std::string&)>;

// Throws EmbeddingMismatch (a folder of another index, backbone or tile size) or
// std::invalid_argument (more clusters than points) before writing anything.
CurateResult curate_archive(const CurateOptions& options, const CurateRequest& request,
                            const CurateProgress& progress = {});

}  // namespace pathodino::curate
