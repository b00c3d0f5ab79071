#include "trainer/report/run_plots.h"

#include <cmath>

#include "trainer/metrics/line_plot.h"

namespace pathodino::report {
namespace {

using metrics::Curve;
using metrics::LinePlot;
using metrics::Series;

// A logged curve; `shift` moves steps to steps done (the kNN after step s is at s + 1).
Series curve(const metrics::RunLog& log, const std::string& key, std::string name,
             int64_t shift = 0) {
  Series s{std::move(name), {}, false, false};
  for (const auto& [step, value] : log.curve(key))
    s.points.emplace_back(static_cast<double>(step + shift), value);
  s.marks = s.points.size() <= 60;
  return s;
}

// A dashed level across the logged steps.
Series level(const metrics::RunLog& log, double value, std::string name) {
  return {std::move(name),
          {{0.0, value}, {static_cast<double>(std::max<int64_t>(log.last_step + 1, 1)), value}},
          false,
          true};
}

// A kNN monitor's curve by steps done, from the initialisation on: `measure` (knn_top1,
// knn_balanced, knn_robustness_index) after each monitored step, its `_at_start` value at 0.
Series monitor_curve(const metrics::RunLog& log, const std::string& measure,
                     const std::string& group, std::string name) {
  const std::string at = group.empty() ? "" : "." + group;
  Series s = curve(log, measure + at, std::move(name), 1);
  if (const auto start = log.curve(measure + "_at_start" + at); !start.empty())
    s.points.insert(s.points.begin(), {0.0, start.front().second});
  s.marks = s.points.size() <= 60;
  return s;
}

void add_if_logged(LinePlot& plot, Series s) {
  if (!s.points.empty()) plot.series.push_back(std::move(s));
}

bool has_measured(const LinePlot& plot) {
  for (const Series& s : plot.series)
    if (!s.dashed) return true;
  return false;
}

}  // namespace

std::vector<PlotFile> write_run_plots(const metrics::RunLog& log, const RandomLevels& random,
                                      int64_t prototypes, const std::filesystem::path& dir) {
  std::vector<std::pair<LinePlot, PlotFile>> plots;
  LinePlot losses{"loss terms", "step", "loss", {}};
  for (const char* key : {"loss", "dino_loss", "ibot_loss", "koleo_loss"})
    add_if_logged(losses, curve(log, key, key));
  plots.push_back({losses, {"losses.png", "Loss terms per step (total, DINO, iBOT, KoLeo)"}});

  LinePlot entropy{"entropy of the prototype distributions", "step", "entropy (nats)", {}};
  add_if_logged(entropy, curve(log, "teacher_entropy", "teacher"));
  add_if_logged(entropy, curve(log, "student_entropy", "student"));
  if (has_measured(entropy))
    entropy.series.push_back(level(log, std::log(static_cast<double>(prototypes)), "log K"));
  plots.push_back({entropy,
                   {"entropy.png",
                    "Teacher and student entropy against log K (the teacher at "
                    "log K: uniform targets that teach nothing)"}});

  LinePlot knn{"kNN on the labelled set", "steps done", "accuracy", {}};
  add_if_logged(knn, monitor_curve(log, "knn_top1", "", "teacher top-1"));
  add_if_logged(knn, monitor_curve(log, "knn_balanced", "", "teacher balanced"));
  if (random.knn_top1) knn.series.push_back(level(log, *random.knn_top1, "random top-1"));
  if (random.knn_balanced)
    knn.series.push_back(level(log, *random.knn_balanced, "random balanced"));
  plots.push_back({knn,
                   {"knn.png",
                    "kNN top-1 and balanced accuracy of the teacher during the run; dashed: "
                    "random features of the same architecture (best seed)"}});

  LinePlot groups{"kNN balanced accuracy per group", "steps done", "balanced accuracy", {}};
  for (const std::string& g : log.suffixes("knn_balanced."))
    add_if_logged(groups, monitor_curve(log, "knn_balanced", g, g.empty() ? "(none)" : g));
  if (random.knn_balanced && has_measured(groups))
    groups.series.push_back(level(log, *random.knn_balanced, "random, all"));
  plots.push_back({groups, {"knn_groups.png", "kNN balanced accuracy per group of the queries"}});

  LinePlot robustness{"Robustness Index", "steps done", "Robustness Index", {}};
  add_if_logged(robustness, monitor_curve(log, "knn_robustness_index", "", "teacher"));
  if (random.robustness_index && has_measured(robustness))
    robustness.series.push_back(level(log, *random.robustness_index, "random (mean)"));
  if (has_measured(robustness)) robustness.series.push_back(level(log, 0.5, "0.5: neither"));
  plots.push_back({robustness,
                   {"robustness.png",
                    "Robustness Index of the teacher during the run (higher: "
                    "neighbours share the tissue rather than the site)"}});

  std::vector<PlotFile> written;
  for (auto& [plot, file] : plots) {
    if (!has_measured(plot)) continue;
    metrics::write_png(plot, dir / file.file);
    written.push_back(file);
  }
  return written;
}

}  // namespace pathodino::report
