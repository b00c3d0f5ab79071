// What an evaluation reads from a run's configuration — the data section (source, crop size, mean
// and std), the eval section (the labelled set, k, temperature, probe) and the run's seed (the
// train/val split) — and the labelled set's two splits built from it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/data_options.h"
#include "data/index/pseudonyms.h"
#include "data/source/source_factory.h"
#include "trainer/eval/eval_options.h"

namespace pathodino::eval {

struct EvalSections {
  data::DataOptions data;
  EvalOptions eval;
  uint64_t seed = 0;             // run.seed
  data::PrivacyOptions privacy;  // pseudonymise: images that fail to read named by pseudonym
};

inline data::LabelledSet labelled_set(const EvalOptions& eval) {
  return {eval.knn_dataset, eval.knn_label_column};
}

// The bank / probe-training images (train split) and the queries / held-out images (val split).
struct LabelledSplits {
  std::shared_ptr<const data::ImageSource> train, val;
};

// Under privacy.pseudonymise a DICOM image that fails to read is named by its pseudonym (Note
// [Pseudonyms]); the key file is read here.
LabelledSplits labelled_splits(const EvalSections& sections);

// The column scores are broken down by and each query's value in it: eval.group_column, or
// `site` when the set has that column; no column, no breakdown. A named column the set lacks is
// refused, naming it and the set, before anything is embedded.
struct QueryGroups {
  std::string column;
  std::optional<std::vector<std::string>> values;
};

inline QueryGroups query_groups(const data::ImageSource& queries, const EvalOptions& eval) {
  const std::string column = eval.group_column.empty() ? "site" : eval.group_column;
  QueryGroups groups{column, queries.group_values(column)};
  if (!groups.values && !eval.group_column.empty())
    throw std::runtime_error("eval.group_column: '" + column + "' is not a column of " +
                             queries.describe());
  return groups;
}

}  // namespace pathodino::eval
