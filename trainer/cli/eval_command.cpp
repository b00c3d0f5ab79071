// `pathodino eval knn|linear --config F [--set …] [--backbone F.safetensors] [--json]
// [--baseline N]`: weighted kNN top-1, or the linear probe's held-out top-1, and balanced
// accuracy, overall and per group (eval.group_column, `site` by default), of a backbone's features
// on the config's labelled data; without --backbone, of the backbone a run with this config starts
// from; with --random-baseline N, of the yardstick every learning claim is read against, and with
// the yardstick printed after the backbone's scores: over init seeds 0..N-1, N = eval.report_seeds
// unless --baseline N says otherwise (--baseline 0: the backbone alone).
#include <CLI/CLI.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <optional>
#include <vector>

#include "models/factory/backbone_factory.h"
#include "trainer/cli/commands.h"
#include "trainer/cli/config_args.h"
#include "trainer/cli/data_ledger.h"
#include "trainer/cli/score_report.h"
#include "trainer/cli/shared_audit.h"
#include "trainer/config/config_issue.h"
#include "trainer/config/random_features.h"
#include "trainer/config/resolve.h"
#include "trainer/eval/knn_evaluation.h"
#include "trainer/eval/linear_probe.h"

namespace pathodino::cli {
namespace {

struct BackboneArgs : ConfigArgs {
  std::string backbone;
  bool json = false;
  // Seeds the random initialisation apart from run.seed, which also renders synthetic data: the
  // random-feature baseline is then drawn over several inits on the same labelled images.
  std::optional<uint64_t> init_seed;
  int random_baseline = 0;
  std::optional<int> baseline;  // the yardstick's seeds after the backbone's scores
  LedgerGuard guard;            // --ledger, --allow-overlap
};

using Score =
    std::function<eval::GroupedScores(models::VisionTransformer&, const ExperimentConfig&)>;

// Runs `body` with the config and backbone the arguments name.
void with_backbone(const BackboneArgs& args, int& exit_code, const char* command,
                   const std::function<void(models::VisionTransformer&, const ExperimentConfig&,
                                            const std::string& what)>& body) {
  run_guarded(exit_code, std::string("eval ") + command, [&] {
    ExperimentConfig config = config::resolve_config(args.file, args.overrides);
    if (!args.backbone.empty()) config.model.pretrained = args.backbone;
    args.guard.check(config, args.backbone);
    const auto seed = args.init_seed.value_or(static_cast<uint64_t>(config.run.seed));
    auto backbone = models::build_backbone(config.model, config.data.global_crops_size, seed);
    body(backbone, config, args.backbone.empty() ? "init" : args.backbone);
    record_in_shared_log(config, std::string("eval ") + command, args.backbone,
                         {{{"labelled_set", config.eval.knn_dataset}}, {}});
  });
}

// The yardstick of Note [Random-feature yardstick]: `score` over init seeds 0..n-1, as a JSON
// object or text: every seed's top-1, the best seed's scores with their groups.
std::string random_baseline_report(const std::string& file, const std::vector<std::string>& sets,
                                   int seeds, bool json, const char* command, const Score& score) {
  const ExperimentConfig config = config::random_feature_config(config::resolve_config(file, sets));
  std::vector<eval::GroupedScores> all;
  std::vector<double> top1;
  for (int seed = 0; seed < seeds; ++seed) {
    auto backbone = models::build_backbone(config.model, config.data.global_crops_size,
                                           static_cast<uint64_t>(seed));
    all.push_back(score(backbone, config));
    top1.push_back(all.back().overall.top1);
  }
  const auto best = std::max_element(top1.begin(), top1.end()) - top1.begin();
  const eval::GroupedScores& b = all[static_cast<size_t>(best)];
  if (json)
    return fmt::format(
        "{{\"top1\": {:.6f}, \"seeds\": [{:.6f}], \"best_seed\": {}, {}, \"backbone\": "
        "\"random features without LayerScale, best of {} seeds\"}}",
        b.overall.top1, fmt::join(top1, ", "), best, scores_json_fields(b), top1.size());
  std::vector<double> percent;
  for (const double t : top1) percent.push_back(100 * t);
  return fmt::format(
             "{} top-1 of random features without LayerScale: best {:.2f}% (seeds 0..{}: "
             "{:.2f}%)\n",
             command, 100 * b.overall.top1, top1.size() - 1, fmt::join(percent, "%, ")) +
         scores_text(b);
}

void with_random_baseline(const BackboneArgs& args, int& exit_code, const char* command,
                          const Score& score) {
  run_guarded(exit_code, std::string("eval ") + command, [&] {
    std::cout << random_baseline_report(args.file, args.overrides, args.random_baseline, args.json,
                                        command, score)
              << (args.json ? "\n" : "");
  });
}

// Prints a backbone's report (`json` without its closing brace, or text), then the random
// features' next to it (--baseline N, or eval.report_seeds of `config`): inside the JSON object as
// "random_baseline", or after the text.
void print_with_baseline(const BackboneArgs& args, const ExperimentConfig& config,
                         std::string report, const char* command, const Score& score) {
  const int seeds = args.baseline.value_or(static_cast<int>(config.eval.report_seeds));
  if (seeds == 0) {
    std::cout << report << (args.json ? "}\n" : "") << std::flush;
    return;
  }
  const std::string baseline =
      random_baseline_report(args.file, args.overrides, seeds, args.json, command, score);
  if (args.json)
    std::cout << report << ", \"random_baseline\": " << baseline << "}\n";
  else
    std::cout << report << baseline;
}

void add_seed_options(CLI::App& command, BackboneArgs& args) {
  add_ledger_options(command, args.guard);
  auto* seed = command.add_option("--init-seed", args.init_seed,
                                  "seed of the random initialisation (default: run.seed, which "
                                  "also seeds synthetic data)");
  command
      .add_option("--random-baseline", args.random_baseline,
                  "score random features without LayerScale for init seeds 0..N-1 and report "
                  "the best: the yardstick of a learning claim")
      ->check(CLI::Range(1, 100))
      ->excludes(seed)
      ->excludes(command.get_option("--backbone"));
  command
      .add_option("--baseline", args.baseline,
                  "random features without LayerScale scored next to the backbone: init seeds "
                  "0..N-1 (default: eval.report_seeds; 0 = the backbone alone)")
      ->check(CLI::Range(0, 100))
      ->excludes(command.get_option("--random-baseline"));
}

eval::GroupedScores knn_scores(models::VisionTransformer& backbone,
                               const ExperimentConfig& config) {
  return eval::evaluate_knn(backbone, eval_sections(config)).scores;
}

eval::GroupedScores linear_scores(models::VisionTransformer& backbone,
                                  const ExperimentConfig& config) {
  return eval::evaluate_linear_probe(backbone, eval_sections(config)).val_scores;
}

}  // namespace

void add_eval_command(CLI::App& app, int& exit_code) {
  auto* eval = app.add_subcommand("eval", "Evaluate the features of a backbone");
  eval->require_subcommand(1);
  add_eval_robustness_command(*eval, exit_code);
  add_eval_slides_command(*eval, exit_code);
  auto args = std::make_shared<BackboneArgs>();
  auto* knn = eval->add_subcommand("knn", "Weighted kNN top-1 (DINO's protocol)");
  add_config_args(*knn, *args);
  knn->add_option("--backbone", args->backbone,
                  "backbone .safetensors (e.g. a run's teacher_backbone.safetensors); default: "
                  "the run's initialisation");
  knn->add_flag("--json", args->json, "print one JSON object instead of a sentence");
  add_seed_options(*knn, *args);

  auto* linear = eval->add_subcommand(
      "linear", "Linear probe on frozen features: held-out top-1 (eval.linear_* settings)");
  add_config_args(*linear, *args);
  linear->add_option("--backbone", args->backbone,
                     "backbone .safetensors; default: the run's initialisation");
  linear->add_flag("--json", args->json, "print one JSON object instead of a sentence");
  add_seed_options(*linear, *args);
  linear->callback([args, &exit_code] {
    if (args->random_baseline > 0)
      return with_random_baseline(*args, exit_code, "linear probe", linear_scores);
    with_backbone(
        *args, exit_code, "linear",
        [&](models::VisionTransformer& backbone, const ExperimentConfig& config,
            const std::string& what) {
          const eval::LinearProbeResult r =
              eval::evaluate_linear_probe(backbone, eval_sections(config));
          const eval::EvalOptions& o = config.eval;
          print_with_baseline(
              *args, config,
              args->json
                  ? fmt::format("{{\"top1\": {:.6f}, \"train_top1\": {:.6f}, \"final_loss\": "
                                "{:.6f}, \"epochs\": {}, \"lr\": {}, \"weight_decay\": {}, "
                                "\"train\": {}, \"val\": {}, \"classes\": {}, \"backbone\": "
                                "\"{}\", {}",
                                r.val_top1, r.train_top1, r.losses.back(), o.linear_epochs,
                                o.linear_lr, o.linear_weight_decay, r.train_count, r.val_count,
                                r.num_classes, what, scores_json_fields(r.val_scores))
                  : fmt::format("linear probe top-1 {:.2f}% ({}; train {:.2f}%, {} "
                                "AdamW steps lr={} wd={}, {} train / {} val images, "
                                "{} classes)\n",
                                100 * r.val_top1, what, 100 * r.train_top1, o.linear_epochs,
                                o.linear_lr, o.linear_weight_decay, r.train_count, r.val_count,
                                r.num_classes) +
                        scores_text(r.val_scores),
              "linear probe", linear_scores);
        });
  });
  knn->callback([args, &exit_code] {
    if (args->random_baseline > 0) return with_random_baseline(*args, exit_code, "kNN", knn_scores);
    with_backbone(*args, exit_code, "knn",
                  [&](models::VisionTransformer& backbone, const ExperimentConfig& config,
                      const std::string& what) {
                    const eval::KnnReport r = eval::evaluate_knn(backbone, eval_sections(config));
                    print_with_baseline(
                        *args, config,
                        args->json
                            ? fmt::format("{{\"top1\": {:.6f}, \"k\": {}, \"temperature\": {}, "
                                          "\"bank\": {}, \"queries\": {}, \"classes\": {}, "
                                          "\"backbone\": \"{}\", {}",
                                          r.top1, r.k, r.temperature, r.bank_size, r.query_count,
                                          r.num_classes, what, scores_json_fields(r.scores))
                            : fmt::format("kNN top-1 {:.2f}% ({}; k={}, T={}, {} bank / {} query "
                                          "images, {} classes)\n",
                                          100 * r.top1, what, r.k, r.temperature, r.bank_size,
                                          r.query_count, r.num_classes) +
                                  scores_text(r.scores),
                        "kNN", knn_scores);
                  });
  });
}

}  // namespace pathodino::cli
