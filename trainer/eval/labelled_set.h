// What an evaluation reads from a run's configuration — the data section (source, crop size, mean
// and std), the eval section (the labelled set, k, temperature, probe) and the run's seed (the
// train/val split) — and the labelled set's two splits built from it.
#pragma once

#include <cstdint>
#include <memory>

#include "data/data_options.h"
#include "data/source/source_factory.h"
#include "trainer/eval/eval_options.h"

namespace pathodino::eval {

struct EvalSections {
  data::DataOptions data;
  EvalOptions eval;
  uint64_t seed = 0;  // run.seed
};

inline data::LabelledSet labelled_set(const EvalOptions& eval) {
  return {eval.knn_dataset, eval.knn_label_column};
}

// The bank / probe-training images (train split) and the queries / held-out images (val split).
struct LabelledSplits {
  std::shared_ptr<const data::ImageSource> train, val;
};

inline LabelledSplits labelled_splits(const EvalSections& sections) {
  const data::LabelledSet set = labelled_set(sections.eval);
  return {data::make_labelled_source(sections.data, set, sections.seed, data::Split::train),
          data::make_labelled_source(sections.data, set, sections.seed, data::Split::val)};
}

}  // namespace pathodino::eval
