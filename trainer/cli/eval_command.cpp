// `pathodino eval knn|linear --config F [--set …] [--backbone F.safetensors] [--json]`: weighted
// kNN top-1, or the linear probe's held-out top-1, of a backbone's features on the config's
// labelled data; without --backbone, of the backbone a run with this config starts from (the
// baseline).
#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include <functional>
#include <iostream>
#include <optional>

#include "models/backbone_factory.h"
#include "trainer/cli/commands.h"
#include "trainer/cli/config_args.h"
#include "trainer/config/config_issue.h"
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
};

// Runs `body` with the config and backbone the arguments name; maps errors to exit codes.
void with_backbone(const BackboneArgs& args, int& exit_code, const char* command,
                   const std::function<void(models::VisionTransformer&, const ExperimentConfig&,
                                            const std::string& what)>& body) {
  try {
    ExperimentConfig config = config::resolve_config(args.file, args.overrides);
    if (!args.backbone.empty()) config.model.pretrained = args.backbone;
    const auto seed = args.init_seed.value_or(static_cast<uint64_t>(config.run.seed));
    auto backbone = models::build_backbone(config.model, config.data.global_crops_size, seed);
    body(backbone, config, args.backbone.empty() ? "init" : args.backbone);
    exit_code = 0;
  } catch (const config::ConfigError& e) {
    std::cerr << e.what() << "\n";
    exit_code = 2;
  } catch (const std::exception& e) {
    std::cerr << "eval " << command << ": " << e.what() << "\n";
    exit_code = 1;
  }
}

}  // namespace

void add_eval_command(CLI::App& app, int& exit_code) {
  auto* eval = app.add_subcommand("eval", "Evaluate the features of a backbone");
  eval->require_subcommand(1);
  auto args = std::make_shared<BackboneArgs>();
  auto* knn = eval->add_subcommand("knn", "Weighted kNN top-1 (DINO's protocol)");
  add_config_args(*knn, *args);
  knn->add_option("--backbone", args->backbone,
                  "backbone .safetensors (e.g. a run's teacher_backbone.safetensors); default: "
                  "the run's initialisation");
  knn->add_flag("--json", args->json, "print one JSON object instead of a sentence");
  knn->add_option("--init-seed", args->init_seed,
                  "seed of the random initialisation (default: run.seed, which also seeds "
                  "synthetic data)");

  auto* linear = eval->add_subcommand(
      "linear", "Linear probe on frozen features: held-out top-1 (eval.linear_* settings)");
  add_config_args(*linear, *args);
  linear->add_option("--backbone", args->backbone,
                     "backbone .safetensors; default: the run's initialisation");
  linear->add_flag("--json", args->json, "print one JSON object instead of a sentence");
  linear->add_option("--init-seed", args->init_seed,
                     "seed of the random initialisation (default: run.seed, which also seeds "
                     "synthetic data)");
  linear->callback([args, &exit_code] {
    with_backbone(*args, exit_code, "linear",
                  [&](models::VisionTransformer& backbone, const ExperimentConfig& config,
                      const std::string& what) {
                    const eval::LinearProbeResult r = eval::evaluate_linear_probe(backbone, config);
                    const eval::EvalOptions& o = config.eval;
                    if (args->json)
                      std::cout << fmt::format(
                          "{{\"top1\": {:.6f}, \"train_top1\": {:.6f}, \"final_loss\": {:.6f}, "
                          "\"epochs\": {}, \"lr\": {}, \"weight_decay\": {}, \"train\": {}, "
                          "\"val\": {}, \"classes\": {}, \"backbone\": \"{}\"}}\n",
                          r.val_top1, r.train_top1, r.losses.back(), o.linear_epochs, o.linear_lr,
                          o.linear_weight_decay, r.train_count, r.val_count, r.num_classes, what);
                    else
                      std::cout << fmt::format(
                          "linear probe top-1 {:.2f}% ({}; train {:.2f}%, {} AdamW steps lr={} "
                          "wd={}, {} train / {} val images, {} classes)\n",
                          100 * r.val_top1, what, 100 * r.train_top1, o.linear_epochs, o.linear_lr,
                          o.linear_weight_decay, r.train_count, r.val_count, r.num_classes);
                  });
  });
  knn->callback([args, &exit_code] {
    with_backbone(
        *args, exit_code, "knn",
        [&](models::VisionTransformer& backbone, const ExperimentConfig& config,
            const std::string& what) {
          const eval::KnnReport r = eval::evaluate_knn(backbone, config);
          if (args->json)
            std::cout << fmt::format(
                "{{\"top1\": {:.6f}, \"k\": {}, \"temperature\": {}, \"bank\": {}, "
                "\"queries\": {}, \"classes\": {}, \"backbone\": \"{}\"}}\n",
                r.top1, r.k, r.temperature, r.bank_size, r.query_count, r.num_classes, what);
          else
            std::cout << fmt::format(
                "kNN top-1 {:.2f}% ({}; k={}, T={}, {} bank / {} query images, {} "
                "classes)\n",
                100 * r.top1, what, r.k, r.temperature, r.bank_size, r.query_count, r.num_classes);
        });
  });
}

}  // namespace pathodino::cli
