// The run report: one Markdown file (report.md) with the run's plots as PNGs and a model card,
// plus the same numbers as JSON (report.json), in RUN/report/. Written by `pathodino train` at
// the end of a run and by `pathodino report RUN` at any time after; every number and sentence
// comes from what the run wrote (config.yaml, metrics.jsonl, the latest checkpoint's manifest,
// teacher_backbone.safetensors) or from evaluating that teacher next to random features.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace pathodino::report {

struct ReportRequest {
  std::filesystem::path run_dir;
  std::filesystem::path out_dir;  // empty: RUN/report
  // Random-feature seeds to score next to the teacher; nullopt: the run's eval.report_seeds.
  // 0: no evaluation (plots and card only).
  std::optional<int64_t> seeds;
};

struct ReportFiles {
  std::filesystem::path markdown, json;
  std::vector<std::filesystem::path> plots;
};

// Throws std::runtime_error naming the file at fault: a run folder without config.yaml or
// metrics.jsonl, a log line that is not JSON; an evaluation that cannot run (a missing labelled
// set, a group column the set lacks) is refused the same way.
ReportFiles write_run_report(const ReportRequest& request, std::ostream& progress);

}  // namespace pathodino::report
