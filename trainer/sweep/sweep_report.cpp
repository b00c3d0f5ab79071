#include "trainer/sweep/sweep_report.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "data/csv_line.h"
#include "trainer/metrics/line_plot.h"
#include "trainer/metrics/run_log.h"
#include "trainer/system/durable_file.h"

namespace pathodino::sweep {
namespace {

std::string number(const std::optional<double>& v, const char* format = "{:.4f}") {
  return v ? fmt::format(fmt::runtime(format), *v) : std::string();
}

// The overridden keys of the sweep, in first-seen order: the columns that tell runs apart.
std::vector<std::string> override_keys(const std::vector<RunOutcome>& runs) {
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const RunOutcome& r : runs)
    for (const auto& [key, value] : r.overrides)
      if (seen.insert(key).second) keys.push_back(key);
  return keys;
}

std::string value_of(const RunOutcome& r, const std::string& key) {
  for (const auto& [k, v] : r.overrides)
    if (k == key) return v;
  return "";
}

// The run's log (metrics/run_log.h: a re-logged step's later record wins, a half-written line is
// skipped) into the outcome: steps, loss and kNN (with their best steps).
void read_log(const std::filesystem::path& file, RunOutcome& r) {
  const metrics::RunLog log = metrics::read_run_log(file);
  r.steps = log.last_step + 1;
  for (const auto& [step, loss] : log.curve("loss")) {
    r.final_loss = loss;
    if (!r.best_loss || loss < *r.best_loss) r.best_loss = loss, r.best_loss_step = step + 1;
  }
  if (const auto start = log.last("knn_top1_at_start")) r.knn_curve.emplace_back(0, *start);
  for (const auto& [step, knn] : log.curve("knn_top1")) {
    r.knn_curve.emplace_back(step + 1, knn);
    r.final_knn = knn;
    if (!r.best_knn || knn > *r.best_knn) r.best_knn = knn, r.best_knn_step = step + 1;
  }
}

}  // namespace

std::vector<RunOutcome> gather_outcomes(const SweepPlan& plan) {
  std::vector<RunOutcome> outcomes;
  for (const PlannedRun& run : plan.runs) {
    RunOutcome r;
    r.name = run.name;
    r.overrides = run.overrides;
    const std::filesystem::path dir = plan.dir / "runs" / run.name;
    const std::filesystem::path log = dir / "metrics.jsonl";
    if (!std::filesystem::exists(log)) {
      r.status = "not started";
    } else {
      r.status = std::filesystem::exists(dir / "teacher_backbone.safetensors")
                     ? "done"
                     : "running or stopped";
      read_log(log, r);
    }
    outcomes.push_back(std::move(r));
  }
  return outcomes;
}

std::string markdown_table(const std::vector<RunOutcome>& runs) {
  const std::vector<std::string> keys = override_keys(runs);
  std::string header = "| run |", rule = "|---|";
  for (const std::string& key : keys) header += " " + key + " |", rule += "---|";
  header +=
      " status | steps | final loss | best loss (step) | final kNN top-1 | best kNN top-1 "
      "(step) |\n";
  rule += "---|---:|---:|---:|---:|---:|\n";
  std::string table = header + rule;
  for (const RunOutcome& r : runs) {
    table += "| " + r.name + " |";
    for (const std::string& key : keys) table += " " + value_of(r, key) + " |";
    table += fmt::format(
        " {} | {} | {} | {} | {} | {} |\n", r.status, r.steps, number(r.final_loss),
        r.best_loss ? fmt::format("{:.4f} ({})", *r.best_loss, r.best_loss_step) : "",
        r.final_knn ? fmt::format("{:.2f}%", 100 * *r.final_knn) : "",
        r.best_knn ? fmt::format("{:.2f}% ({})", 100 * *r.best_knn, r.best_knn_step) : "");
  }
  return table;
}

std::string csv_table(const std::vector<RunOutcome>& runs) {
  const std::vector<std::string> keys = override_keys(runs);
  std::string table = "run";
  for (const std::string& key : keys) table += "," + data::quote_csv_cell(key);
  table +=
      ",status,steps,final_loss,best_loss,best_loss_step,final_knn_top1,best_knn_top1,"
      "best_knn_step\n";
  for (const RunOutcome& r : runs) {
    table += data::quote_csv_cell(r.name);
    for (const std::string& key : keys) table += "," + data::quote_csv_cell(value_of(r, key));
    table += fmt::format(",{},{},{},{},{},{},{},{}\n", data::quote_csv_cell(r.status), r.steps,
                         number(r.final_loss, "{:.6g}"), number(r.best_loss, "{:.6g}"),
                         r.best_loss ? std::to_string(r.best_loss_step) : "",
                         number(r.final_knn, "{:.6g}"), number(r.best_knn, "{:.6g}"),
                         r.best_knn ? std::to_string(r.best_knn_step) : "");
  }
  return table;
}

ReportFiles write_report(const SweepPlan& plan, const std::vector<RunOutcome>& runs) {
  ReportFiles files{plan.dir / "report.md", plan.dir / "report.csv", plan.dir / "knn.png"};
  system::write_file_durably(
      files.markdown, fmt::format("# Sweep {}\n\n{} run(s) of {} rank(s), base {}\n\n{}\n![kNN "
                                  "top-1 vs step](knn.png)\n",
                                  plan.sweep.name, runs.size(), plan.sweep.ranks,
                                  plan.sweep.base.string(), markdown_table(runs)));
  system::write_file_durably(files.csv, csv_table(runs));
  metrics::LinePlot plot;
  plot.title = "sweep " + plan.sweep.name + ": kNN top-1 of the teacher";
  plot.x_label = "step";
  plot.y_label = "kNN top-1";
  for (const RunOutcome& r : runs) {
    // The legend says what the run changed: its overrides' last key segments, e.g.
    // "s-01 base_lr=0.004 loss_weight=0.1".
    std::string label = r.name;
    for (const auto& [key, value] : r.overrides)
      label += " " + key.substr(key.rfind('.') + 1) + "=" + value;
    if (label.size() > 40) label = label.substr(0, 39) + "~";
    metrics::Series s{label, {}};
    for (const auto& [step, top1] : r.knn_curve) s.points.emplace_back(step, top1);
    plot.series.push_back(std::move(s));
  }
  metrics::write_png(plot, files.plot);
  return files;
}

}  // namespace pathodino::sweep
