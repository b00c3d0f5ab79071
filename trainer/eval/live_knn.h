// LiveKnn: the kNN monitor of a training run (eval.knn_every_steps) — weighted kNN top-1 of the
// teacher backbone on the labelled set `pathodino eval knn` uses, computed across ranks: image i of
// the bank and of the queries is embedded by rank i mod world, the bank is all-gathered, each rank
// scores its own queries and the hit counts are summed. Every rank gets the same number, in about
// 1/world of the time one rank would take. The predictions are summed into one vector as well,
// so every rank also has the scores per group of the queries (eval.group_column). When the set
// has two sites or more, the queries are gathered too and every rank counts the Robustness Index
// over both splits, as `eval robustness` does.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "data/image_source.h"
#include "models/vit/vision_transformer.h"
#include "trainer/distributed/communicator.h"
#include "trainer/eval/knn_evaluation.h"
#include "trainer/eval/labelled_set.h"
#include "trainer/eval/robustness_evaluation.h"

namespace pathodino::eval {

class LiveKnn {
 public:
  // `comm` takes CPU tensors (the MPI control communicator). Builds the labelled sources once;
  // throws std::runtime_error when the config has none, or names a group column it lacks.
  LiveKnn(EvalSections sections, distributed::Communicator& comm);

  // Collective: every rank calls it with its copy of the backbone.
  KnnReport evaluate(models::VisionTransformer& backbone);

 private:
  EvalSections sections_;
  distributed::Communicator& comm_;
  std::shared_ptr<const data::ImageSource> bank_, queries_;
  int64_t num_classes_ = 0;
  QueryGroups groups_;
  std::optional<SiteIds> sites_;
};

}  // namespace pathodino::eval
