// The evaluation and known-limits sections of the model card (model_card.h).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "trainer/report/model_card.h"

namespace pathodino::report {
namespace {

std::string percent(double v) { return fmt::format("{:.2f}%", 100 * v); }
std::string points(double v) { return fmt::format("{:+.2f} points", 100 * v); }

std::string row(const std::string& what, double teacher, double random, bool ratio = true) {
  if (std::isnan(random))
    return fmt::format("| {} | {} | — | |\n", what,
                       ratio ? percent(teacher) : fmt::format("{:.3f}", teacher));
  return ratio ? fmt::format("| {} | {} | {} | {} |\n", what, percent(teacher), percent(random),
                             points(teacher - random))
               : fmt::format("| {} | {:.3f} | {:.3f} | {:+.3f} |\n", what, teacher, random,
                             teacher - random);
}

// The random features' balanced accuracy in `group`, or nan when the best seed lacks it.
double random_group(const ReportEvaluation& e, const std::string& group) {
  for (const eval::GroupAccuracy& g : e.best().knn.scores.groups)
    if (g.group == group) return g.balanced;
  return std::nan("");
}

std::string group_rows(const ReportEvaluation& e) {
  const eval::GroupedScores& s = e.teacher.knn.scores;
  std::string out;
  for (const eval::GroupAccuracy& g : s.groups)
    out += row(fmt::format("kNN balanced, {} {} ({} queries)", s.column, g.group, g.count),
               g.balanced, random_group(e, g.group));
  if (!s.groups.empty())
    out += fmt::format(
        "| kNN balanced spread over {} (max − min) | {:.2f} points | {:.2f} points "
        "| |\n",
        s.column, 100 * s.balanced_spread, 100 * e.best().knn.scores.balanced_spread);
  return out;
}

std::string robustness_rows(const ReportEvaluation& e) {
  if (!e.teacher.robustness) return "";
  const eval::RobustnessReport& r = *e.teacher.robustness;
  return row(fmt::format("Robustness Index (k={}; higher: tissue over {}; random: mean)", r.k,
                         r.site_column),
             r.neighbours.robustness_index(), *e.random_robustness_index(), false) +
         row(fmt::format("{} predictability, balanced (lower is better; chance {}; random: mean)",
                         r.site_column, percent(1.0 / static_cast<double>(r.sites))),
             r.site_balanced, *e.random_site_balanced());
}

}  // namespace

std::string evaluation_section(const CardInputs& in) {
  std::string out = "### Evaluation\n\n";
  if (!in.evaluation) return out + "Not evaluated: " + in.not_evaluated + "\n\n";
  const ReportEvaluation& e = *in.evaluation;
  const eval::KnnReport& k = e.teacher.knn;
  out += fmt::format(
      "Weighted kNN (k={}, T={}) on {}. Random features: the same architecture without "
      "LayerScale, init seeds 0..{}, the best seed by kNN top-1 (seed {}) — the yardstick every "
      "learning claim is read against. {:.0f} s.\n\n",
      k.k, k.temperature, e.labelled_set, e.random.size() - 1, e.best_random, e.seconds);
  out += fmt::format(
      "| measure | trained teacher | random features (best of {}) | teacher − "
      "random |\n|---|---:|---:|---:|\n",
      e.random.size());
  out += row("kNN top-1", k.top1, e.best().knn.top1);
  out +=
      row("kNN balanced accuracy", k.scores.overall.balanced, e.best().knn.scores.overall.balanced);
  out += group_rows(e) + robustness_rows(e);
  if (const auto start = in.log->curve("knn_top1_at_start"); !start.empty())
    out += fmt::format("\nkNN top-1 of the run's own initialisation, logged at its start: {}.\n",
                       percent(start.front().second));
  return out + "\n";
}

namespace {

// The limits the evaluation shows.
void evaluation_limits(const ReportEvaluation& e, std::vector<std::string>& limits) {
  const double gain = e.teacher.knn.top1 - e.best().knn.top1;
  limits.push_back(
      gain < 0.01
          ? fmt::format("The teacher's kNN top-1 is {} against random features: no evidence "
                        "here that pretraining learned more than the architecture gives at "
                        "random.",
                        points(gain))
          : fmt::format("The kNN gain over random features ({}) is measured on one labelled set "
                        "of {} queries; it is no claim about other tissues or tasks.",
                        points(gain), e.teacher.knn.query_count));
  if (e.labelled_set.find("synthetic") != std::string::npos)
    limits.push_back("The labelled set is synthetic: the scores say nothing about real tissue.");
  const eval::GroupedScores& s = e.teacher.knn.scores;
  if (!s.groups.empty() && s.balanced_spread > 0.05)
    limits.push_back(
        fmt::format("Balanced accuracy differs by {:.1f} points across {}; the "
                    "worst is {}.",
                    100 * s.balanced_spread, s.column, s.worst_group));
  if (!e.teacher.robustness)
    limits.push_back(
        "Robustness to sites is not measured: the labelled set has no site column "
        "(eval.group_column, default `site`) with two values or more.");
  else if (e.teacher.robustness->neighbours.robustness_index() < *e.random_robustness_index())
    limits.push_back(
        "The teacher's neighbourhoods follow the site more than random features' "
        "do (a lower Robustness Index).");
}

// The limits the training log shows.
void training_limits(const metrics::RunLog& log, int64_t prototypes,
                     std::vector<std::string>& limits) {
  const double log_k = std::log(static_cast<double>(std::max<int64_t>(prototypes, 1)));
  if (const auto h = log.last("teacher_entropy"); h && prototypes > 1 && *h > 0.95 * log_k)
    limits.push_back(
        fmt::format("The teacher's entropy ended at {:.2f} of log K = {:.2f}: its "
                    "targets are near uniform, so the DINO term teaches little.",
                    *h, log_k));
  if (const auto skipped = log.last("skipped_total"); skipped && *skipped > 0)
    limits.push_back(fmt::format("{:.0f} step(s) were skipped as non-finite.", *skipped));
  if (const auto reads = log.last("source_skipped_reads"); reads && *reads > 0)
    limits.push_back(fmt::format("{:.0f} tile read(s) failed and were skipped.", *reads));
}

}  // namespace

std::string limits_section(const CardInputs& in) {
  std::vector<std::string> limits;
  if (in.evaluation)
    evaluation_limits(*in.evaluation, limits);
  else
    limits.push_back("No evaluation in this report: " + in.not_evaluated + ".");
  training_limits(*in.log, in.prototypes, limits);
  limits.push_back(
      "Slide-level tasks are not part of this report: `pathodino embed` the slides "
      "and run `pathodino eval slides` for them.");
  std::string out = "### Known limits\n\n";
  for (const std::string& l : limits) out += "- " + l + "\n";
  return out + "\n";
}

}  // namespace pathodino::report
