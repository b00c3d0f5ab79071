// The run report's plots, drawn from what the run logged (metrics.jsonl) with the random-feature
// levels as dashed lines: loss terms, teacher and student entropy against log K, kNN against step,
// kNN per group (site, scanner…), and the Robustness Index against step. A plot whose curves the
// run never logged is not drawn.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "trainer/metrics/run_log.h"

namespace pathodino::report {

// Levels of random features of the same architecture (Note [Random-feature yardstick]).
struct RandomLevels {
  std::optional<double> knn_top1, knn_balanced, robustness_index;
};

struct PlotFile {
  std::string file;     // name inside the report folder
  std::string caption;  // what it shows, for the Markdown
};

// Writes the PNGs into `dir`; `prototypes`: K of the DINO head, for the log K line.
std::vector<PlotFile> write_run_plots(const metrics::RunLog& log, const RandomLevels& random,
                                      int64_t prototypes, const std::filesystem::path& dir);

}  // namespace pathodino::report
