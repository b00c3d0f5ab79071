#include "trainer/cli/config_args.h"

#include <CLI/CLI.hpp>

namespace pathodino::cli {

void add_config_args(CLI::App& command, ConfigArgs& args) {
  command.add_option("--config,-c", args.file, "experiment config (YAML)")->required();
  command.add_option("--set", args.overrides, "override a key, e.g. --set optim.base_lr=1e-3")
      ->allow_extra_args(false);
}

}  // namespace pathodino::cli
