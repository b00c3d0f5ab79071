#include "trainer/cli/config_args.h"

#include <CLI/CLI.hpp>

#include <iostream>

#include "trainer/config/config_issue.h"

namespace pathodino::cli {

void add_config_args(CLI::App& command, ConfigArgs& args) {
  command.add_option("--config,-c", args.file, "experiment config (YAML)")->required();
  command.add_option("--set", args.overrides, "override a key, e.g. --set optim.base_lr=1e-3")
      ->allow_extra_args(false);
}

void run_guarded(int& exit_code, const std::string& command, const std::function<void()>& body) {
  try {
    body();
    exit_code = 0;
  } catch (const config::ConfigError& e) {
    std::cerr << e.what() << "\n";
    exit_code = 2;
  } catch (const std::exception& e) {
    std::cerr << command << ": " << e.what() << "\n";
    exit_code = 1;
  }
}

}  // namespace pathodino::cli
