// `pathodino train --config F [--set KEY=VALUE …] [--overwrite]`: one pretraining run.
#include <CLI/CLI.hpp>

#include <iostream>

#include "trainer/cli/commands.h"
#include "trainer/cli/config_args.h"
#include "trainer/config/config_issue.h"
#include "trainer/config/resolve.h"
#include "trainer/train/nonfinite_guard.h"
#include "trainer/train/ssl_trainer.h"

namespace pathodino::cli {
namespace {

struct TrainArgs : ConfigArgs {
  bool overwrite = false;
};

}  // namespace

void add_train_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<TrainArgs>();
  auto* command = app.add_subcommand("train", "Pretrain a backbone with DINO + iBOT + KoLeo");
  add_config_args(*command, *args);
  command->add_flag("--overwrite", args->overwrite,
                    "replace the run in output_dir/name if one is there");
  command->callback([args, &exit_code] {
    try {
      train::TrainRequest request{config::resolve_config(args->file, args->overrides),
                                  args->overwrite};
      const train::TrainSummary summary = train::run_training(request, std::cout);
      std::cout << "done: " << summary.steps << " steps (" << summary.skipped_steps
                << " skipped) in " << summary.seconds << " s, " << summary.images_per_second
                << " img/s\n  metrics: " << summary.metrics_file.string()
                << "\n  teacher backbone: " << summary.teacher_file.string() << "\n";
      exit_code = 0;
    } catch (const config::ConfigError& e) {
      std::cerr << e.what() << "\n";
      exit_code = 2;
    } catch (const train::TrainingDiverged& e) {
      std::cerr << "train: diverged: " << e.what() << "\n";
      exit_code = 3;
    } catch (const std::exception& e) {
      std::cerr << "train: " << e.what() << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace pathodino::cli
