// The evaluation a run report prints: the run's teacher and random features of the same
// architecture (Note [Random-feature yardstick]) on the run's labelled set, each backbone embedding
// the set once and scored by weighted kNN (overall and per group) and, when the set has two sites
// or more, by the Robustness Index and site predictability.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "trainer/config/experiment_config.h"
#include "trainer/eval/knn_evaluation.h"
#include "trainer/eval/robustness_evaluation.h"

namespace pathodino::report {

struct BackboneEvaluation {
  std::string backbone;  // the file, or "random features, seed N"
  eval::KnnReport knn;
  std::optional<eval::RobustnessReport> robustness;
};

struct ReportEvaluation {
  std::string labelled_set;  // the held-out split, as its source describes itself
  BackboneEvaluation teacher;
  std::vector<BackboneEvaluation> random;  // init seeds 0..n-1
  size_t best_random = 0;                  // the seed with the best kNN top-1
  double seconds = 0;

  const BackboneEvaluation& best() const { return random.at(best_random); }
  // Means over the random seeds; nullopt without robustness.
  std::optional<double> random_robustness_index() const;
  std::optional<double> random_site_balanced() const;
};

// `seeds` >= 1. Throws what the evaluation throws (a missing labelled set, a group column the set
// lacks), naming the file or column.
ReportEvaluation evaluate_for_report(const ExperimentConfig& config,
                                     const std::filesystem::path& teacher, int64_t seeds);

}  // namespace pathodino::report
