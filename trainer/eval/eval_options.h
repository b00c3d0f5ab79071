// EvalOptions: the `eval:` section — live kNN monitoring and the linear probe.
#pragma once

#include <cstdint>
#include <string>

namespace pathodino::eval {

struct EvalOptions {
  int64_t knn_every_steps = 0;  // 0 = no live kNN
  std::string knn_dataset;      // labelled tiles (index or image folder); empty = synthetic
  std::string knn_label_column = "label";  // a tile index's manifest column with the class
  // Scores are broken down by this column of the labelled set's manifest (site, scanner, stain
  // batch); empty: by `site` when the manifest has it.
  std::string group_column;
  int64_t knn_k = 20;
  double knn_temperature = 0.07;
  bool linear_probe = false;    // train a linear probe on the frozen teacher at the end
  int64_t linear_epochs = 300;  // full-batch AdamW steps
  double linear_lr = 0.05;
  double linear_weight_decay = 1e-4;
  // The run report scores the teacher next to random features of init seeds 0..N-1 (Note
  // [Random-feature yardstick]); 0 = a report without evaluation. At the end of a run it
  // evaluates only when the run had a kNN monitor (knn_every_steps > 0).
  int64_t report_seeds = 3;
};

}  // namespace pathodino::eval
