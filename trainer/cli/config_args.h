// The `--config F --set KEY=VALUE…` pair shared by every subcommand that reads an experiment.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace pathodino::cli {

struct ConfigArgs {
  std::string file;
  std::vector<std::string> overrides;
};

void add_config_args(CLI::App& command, ConfigArgs& args);

}  // namespace pathodino::cli
