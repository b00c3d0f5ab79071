#include "trainer/report/report_evaluation.h"

#include <chrono>

#include "models/factory/backbone_factory.h"
#include "trainer/config/random_features.h"

namespace pathodino::report {
namespace {

// One backbone on the labelled set, built once for every backbone of the report (`sites`: whether
// it has two sites or more).
BackboneEvaluation evaluate(models::VisionTransformer& backbone, const eval::LabelledSplits& splits,
                            bool sites, const eval::EvalSections& sections, std::string what) {
  const eval::LabelledEmbeddings embedded = eval::embed_labelled(backbone, splits, sections);
  BackboneEvaluation e{std::move(what), eval::evaluate_knn(embedded, sections), std::nullopt};
  if (sites) e.robustness = eval::evaluate_robustness(embedded, sections);
  return e;
}

template <typename Value>
std::optional<double> mean_over(const std::vector<BackboneEvaluation>& runs, Value value) {
  if (runs.empty() || !runs.front().robustness) return std::nullopt;
  double sum = 0;
  for (const BackboneEvaluation& r : runs) sum += value(*r.robustness);
  return sum / static_cast<double>(runs.size());
}

}  // namespace

std::optional<double> ReportEvaluation::random_robustness_index() const {
  return mean_over(random,
                   [](const eval::RobustnessReport& r) { return r.neighbours.robustness_index(); });
}

std::optional<double> ReportEvaluation::random_site_balanced() const {
  return mean_over(random, [](const eval::RobustnessReport& r) { return r.site_balanced; });
}

ReportEvaluation evaluate_for_report(const ExperimentConfig& config,
                                     const std::filesystem::path& teacher, int64_t seeds) {
  const auto start = std::chrono::steady_clock::now();
  ReportEvaluation out;
  ExperimentConfig trained = config;
  trained.model.pretrained = teacher.string();
  // The labelled set reads the data and eval sections only, the same for every backbone.
  const eval::EvalSections sections = eval_sections(trained);
  const eval::LabelledSplits splits = eval::labelled_splits(sections);
  const bool sites = eval::site_ids(splits, sections.eval).has_value();
  out.labelled_set = splits.val->describe();
  auto backbone = models::build_backbone(trained.model, trained.data.global_crops_size,
                                         static_cast<uint64_t>(config.run.seed));
  out.teacher = evaluate(backbone, splits, sites, sections, teacher.string());

  const ExperimentConfig random = config::random_feature_config(config);
  for (int64_t seed = 0; seed < seeds; ++seed) {
    auto features = models::build_backbone(random.model, random.data.global_crops_size,
                                           static_cast<uint64_t>(seed));
    out.random.push_back(
        evaluate(features, splits, sites, eval_sections(random),
                 "random features without LayerScale, seed " + std::to_string(seed)));
    if (out.random.back().knn.top1 > out.random[out.best_random].knn.top1)
      out.best_random = out.random.size() - 1;
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace pathodino::report
