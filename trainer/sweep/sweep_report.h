// `pathodino sweep report`: every run of a sweep, read back from its metrics.jsonl — status, steps,
// final and best loss, final and best kNN top-1 (the kNN monitor, eval.knn_every_steps) — as a
// Markdown table (report.md), a CSV (report.csv) and a PNG of kNN top-1 vs step per run (knn.png),
// all in the sweep folder. Runs that have not started or are still running are rows too.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "trainer/sweep/sweep_plan.h"

namespace pathodino::sweep {

struct RunOutcome {
  std::string name;
  Overrides overrides;
  std::string status;  // done, running or stopped (no teacher exported yet), not started
  int64_t steps = 0;   // steps logged
  std::optional<double> final_loss, best_loss, final_knn, best_knn;
  int64_t best_loss_step = 0, best_knn_step = 0;      // steps done at the best value
  std::vector<std::pair<int64_t, double>> knn_curve;  // (steps done, top-1), from step 0
};

// Throws std::runtime_error naming the file and line of a metrics.jsonl it cannot read.
std::vector<RunOutcome> gather_outcomes(const SweepPlan& plan);

std::string markdown_table(const std::vector<RunOutcome>& runs);
std::string csv_table(const std::vector<RunOutcome>& runs);

struct ReportFiles {
  std::filesystem::path markdown, csv, plot;
};
// Writes report.md, report.csv and knn.png into the sweep folder.
ReportFiles write_report(const SweepPlan& plan, const std::vector<RunOutcome>& runs);

}  // namespace pathodino::sweep
