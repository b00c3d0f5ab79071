// The `--config F --set KEY=VALUE…` pair shared by every subcommand that reads an experiment.
#pragma once

#include <functional>
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

// Runs a command's body with the exit codes every command shares: 0 done, 2 a refused config
// (its message as it stands), 1 any other error ("COMMAND: what").
void run_guarded(int& exit_code, const std::string& command, const std::function<void()>& body);

}  // namespace pathodino::cli
