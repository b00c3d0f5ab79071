// A run's metrics.jsonl read back as curves: every numeric key of its records against the record's
// step, for the run report's plots and tables. A resumed run may log a step twice; the later
// record wins, so each curve has one value per step, in step order. No LibTorch.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pathodino::metrics {

using Curve = std::vector<std::pair<int64_t, double>>;  // (step, value), step increasing

struct RunLog {
  std::filesystem::path file;
  int64_t records = 0;
  int64_t last_step = -1;  // the highest step logged; -1 when nothing is
  std::map<std::string, Curve> curves;
  // Lines that are no JSON object with an integer "step" (a run killed mid-write leaves half a
  // line): skipped and counted, the first one named as file:line.
  int64_t unreadable = 0;
  std::string first_unreadable;

  // The curve of `key`, empty when the log never has it.
  const Curve& curve(const std::string& key) const;
  std::optional<double> last(const std::string& key) const;
  // The keys that start with `prefix` (e.g. "knn_balanced."), without it, in name order.
  std::vector<std::string> suffixes(const std::string& prefix) const;
};

// Throws std::runtime_error naming the file when it cannot be read; unreadable lines are skipped.
RunLog read_run_log(const std::filesystem::path& file);

}  // namespace pathodino::metrics
