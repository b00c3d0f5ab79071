// `pathodino eval knn`: the labelled bank (train split) and queries (val split) of the config's
// data source, embedded with a backbone, scored with DINO's weighted kNN (eval.knn_k,
// eval.knn_temperature), overall and per eval.group_column (labelled_set.h). Works on a trained
// teacher and on a fresh initialisation (the baseline).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "models/vit/vision_transformer.h"
#include "trainer/eval/embed.h"
#include "trainer/eval/group_scores.h"
#include "trainer/eval/labelled_set.h"

namespace pathodino::eval {

struct KnnReport {
  double top1 = 0;       // in [0, 1]
  GroupedScores scores;  // top-1 and balanced accuracy, overall and per group of the queries
  int64_t bank_size = 0, query_count = 0, num_classes = 0, k = 0;
  double temperature = 0;
  // The live monitor's Robustness Index over both splits (robustness_index.h), when the set has
  // two sites or more in its site column; the same number `eval robustness` reports.
  std::optional<double> robustness_index;
};

// The labelled set's two splits and their embeddings by one backbone: what kNN and the robustness
// measures read, so a report that asks for both embeds each image once.
struct LabelledEmbeddings {
  LabelledSplits splits;
  Embeddings train, val;
};
LabelledEmbeddings embed_labelled(models::VisionTransformer& backbone, LabelledSplits splits,
                                  const EvalSections& sections);

KnnReport evaluate_knn(const LabelledEmbeddings& embedded, const EvalSections& sections);
KnnReport evaluate_knn(models::VisionTransformer& backbone, const EvalSections& sections);

}  // namespace pathodino::eval
