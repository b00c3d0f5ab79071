// The linear probe: multinomial logistic regression on frozen backbone features — one linear
// layer from zero (so the result depends on the features alone, not on an init), cross-entropy,
// full-batch AdamW for eval.linear_epochs steps (eval.linear_lr, eval.linear_weight_decay) — scored
// top-1 on the held-out split. `pathodino eval linear`, and eval.linear_probe at the end of a run.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "models/vit/vision_transformer.h"
#include "trainer/distributed/communicator.h"
#include "trainer/eval/embed.h"
#include "trainer/eval/group_scores.h"
#include "trainer/eval/labelled_set.h"

namespace pathodino::eval {

struct LinearProbeResult {
  double train_top1 = 0, val_top1 = 0;
  std::vector<double> losses;  // training loss before each step
  torch::Tensor weight, bias;  // [C, D], [C]
  int64_t train_count = 0, val_count = 0, num_classes = 0;
  std::vector<int64_t> val_predicted;  // the class predicted for each held-out image
  GroupedScores val_scores;  // held-out top-1 and balanced accuracy, overall and per group
};

LinearProbeResult train_linear_probe(const Embeddings& train, const Embeddings& val,
                                     int64_t num_classes, const EvalOptions& options);

// Embeds the config's labelled set (eval.knn_dataset, or the synthetic one) with `backbone` and
// trains the probe, scored overall and per eval.group_column (labelled_set.h). With `comm`, the
// images are embedded across its ranks (rank i mod world) and every rank trains the same probe on
// all of them.
LinearProbeResult evaluate_linear_probe(models::VisionTransformer& backbone,
                                        const EvalSections& sections,
                                        distributed::Communicator* comm = nullptr);

}  // namespace pathodino::eval
