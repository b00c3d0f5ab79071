// `pathodino config show|check --config F [--set KEY=VALUE ...]`: resolve and validate a config.
#include <CLI/CLI.hpp>

#include <iostream>

#include "trainer/cli/commands.h"
#include "trainer/cli/config_args.h"
#include "trainer/config/config_issue.h"
#include "trainer/config/resolve.h"

namespace pathodino::cli {
namespace {

struct ShowArgs : ConfigArgs {
  bool comments = false;
};

}  // namespace

void add_config_command(CLI::App& app, int& exit_code) {
  auto* config = app.add_subcommand("config", "Resolve and validate experiment configs");
  config->require_subcommand(1);
  auto args = std::make_shared<ShowArgs>();

  auto* show = config->add_subcommand("show", "Print the fully resolved config as YAML");
  add_config_args(*show, *args);
  show->add_flag("--comments", args->comments, "document every key");
  auto* check = config->add_subcommand("check", "Validate only; exit 2 listing every problem");
  add_config_args(*check, *args);

  auto run = [args, &exit_code](bool print) {
    try {
      const ExperimentConfig resolved = config::resolve_config(args->file, args->overrides);
      if (print)
        std::cout << config::to_yaml(resolved, args->comments);
      else
        std::cout << args->file << ": ok\n";
      exit_code = 0;
    } catch (const config::ConfigError& e) {
      std::cerr << e.what() << "\n";
      exit_code = 2;
    }
  };
  show->callback([run] { run(true); });
  check->callback([run] { run(false); });
}

}  // namespace pathodino::cli
