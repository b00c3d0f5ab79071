// `pathodino eval robustness --config F [--set …] [--backbone F.safetensors] [--baseline N]
// [--json]`: how strongly a backbone's features encode the site rather than the tissue, on the
// config's labelled set with a site column (eval/robustness_evaluation.h) — the Robustness Index
// (higher: neighbourhoods follow the tissue) and site predictability (lower: the site is harder to
// read off the features) — with random features of the same architecture next to it.
#include <CLI/CLI.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "models/factory/backbone_factory.h"
#include "trainer/cli/commands.h"
#include "trainer/cli/config_args.h"
#include "trainer/cli/data_ledger.h"
#include "trainer/cli/shared_audit.h"
#include "trainer/config/config_issue.h"
#include "trainer/config/random_features.h"
#include "trainer/config/resolve.h"
#include "trainer/eval/robustness_evaluation.h"

namespace pathodino::cli {
namespace {

struct RobustnessArgs : ConfigArgs {
  std::string backbone;
  std::optional<uint64_t> init_seed;  // the initialisation's seed, apart from run.seed
  std::optional<int> baseline;        // random-feature seeds; default eval.report_seeds
  LedgerGuard guard;                  // --ledger, --allow-overlap
  bool json = false;
};

nlohmann::json as_json(const eval::RobustnessReport& r) {
  const eval::NeighbourCounts& n = r.neighbours;
  return {{"robustness_index", n.robustness_index()},
          {"same_class_other_site", n.same_class_other_site},
          {"other_class_same_site", n.other_class_same_site},
          {"same_class_same_site", n.same_class_same_site},
          {"other_class_other_site", n.other_class_other_site},
          {"k", r.k},
          {"images", r.images},
          {"site_column", r.site_column},
          {"sites", r.sites},
          {"site_top1", r.site_top1},
          {"site_balanced", r.site_balanced},
          {"site_chance", 1.0 / static_cast<double>(r.sites)}};
}

std::string as_text(const eval::RobustnessReport& r, const std::string& what) {
  const eval::NeighbourCounts& n = r.neighbours;
  return fmt::format(
      "robustness of {} ({} images, {} values of '{}', k={}):\n"
      "  Robustness Index {:.3f} ({} neighbours of the same class from another {}, {} of another "
      "class from the same {}; higher: the tissue, not the {}, decides)\n"
      "  {} predictability {:.2f}% balanced, {:.2f}% top-1 (linear probe on held-out images; "
      "chance {:.2f}%; lower is better)\n",
      what, r.images, r.sites, r.site_column, r.k, n.robustness_index(), n.same_class_other_site,
      r.site_column, n.other_class_same_site, r.site_column, r.site_column, r.site_column,
      100 * r.site_balanced, 100 * r.site_top1, 100.0 / static_cast<double>(r.sites));
}

// The same report for random features without LayerScale, init seeds 0..n-1 (Note
// [Random-feature yardstick]), and their means.
nlohmann::json random_baseline(const RobustnessArgs& args, int count, std::string& text) {
  const ExperimentConfig config =
      config::random_feature_config(config::resolve_config(args.file, args.overrides));
  nlohmann::json seeds = nlohmann::json::array();
  double index = 0, site = 0;
  for (int seed = 0; seed < count; ++seed) {
    auto backbone = models::build_backbone(config.model, config.data.global_crops_size,
                                           static_cast<uint64_t>(seed));
    const eval::RobustnessReport r = eval::evaluate_robustness(backbone, eval_sections(config));
    seeds.push_back(as_json(r));
    text += as_text(r, fmt::format("random features without LayerScale, seed {}", seed));
    index += r.neighbours.robustness_index() / count;
    site += r.site_balanced / count;
  }
  text += fmt::format(
      "random features, mean of {} seed(s): Robustness Index {:.3f}, site "
      "predictability {:.2f}% balanced\n",
      count, index, 100 * site);
  return {{"seeds", seeds},
          {"robustness_index_mean", index},
          {"site_balanced_mean", site},
          {"backbone", "random features without LayerScale"}};
}

void run(const RobustnessArgs& args) {
  ExperimentConfig config = config::resolve_config(args.file, args.overrides);
  if (!args.backbone.empty()) config.model.pretrained = args.backbone;
  args.guard.check(config, args.backbone);
  auto backbone =
      models::build_backbone(config.model, config.data.global_crops_size,
                             args.init_seed.value_or(static_cast<uint64_t>(config.run.seed)));
  const std::string what = args.backbone.empty() ? "init" : args.backbone;
  const eval::RobustnessReport r = eval::evaluate_robustness(backbone, eval_sections(config));
  nlohmann::json j = as_json(r);
  j["backbone"] = what;
  std::string text = as_text(r, what);
  const int seeds = args.baseline.value_or(static_cast<int>(config.eval.report_seeds));
  if (seeds > 0) j["random_baseline"] = random_baseline(args, seeds, text);
  std::cout << (args.json ? j.dump() + "\n" : text) << std::flush;
  record_in_shared_log(config, "eval robustness", args.backbone,
                       {{{"labelled_set", config.eval.knn_dataset}}, {}});
}

}  // namespace

void add_eval_robustness_command(CLI::App& eval, int& exit_code) {
  auto args = std::make_shared<RobustnessArgs>();
  auto* command = eval.add_subcommand(
      "robustness",
      "Robustness Index and site predictability of a backbone's features (site column: "
      "eval.group_column, default site)");
  add_config_args(*command, *args);
  command->add_option("--backbone", args->backbone,
                      "backbone .safetensors; default: the run's initialisation");
  command
      ->add_option("--init-seed", args->init_seed,
                   "seed of the random initialisation (default: run.seed)")
      ->excludes(command->get_option("--backbone"));
  command
      ->add_option("--baseline", args->baseline,
                   "random features without LayerScale reported next to the backbone: init seeds "
                   "0..N-1 (default: eval.report_seeds; 0 = the backbone alone)")
      ->check(CLI::Range(0, 100));
  command->add_flag("--json", args->json, "print one JSON object instead of sentences");
  add_ledger_options(*command, args->guard);
  command->callback(
      [args, &exit_code] { run_guarded(exit_code, "eval robustness", [&] { run(*args); }); });
}

}  // namespace pathodino::cli
