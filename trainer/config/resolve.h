// The one entry point from config files to a validated ExperimentConfig:
//   defaults → file (with its base: chain) → --set overrides → schema → cross-key checks.
// Nothing is built from a config that did not pass all of it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "trainer/config/experiment_config.h"

namespace pathodino::config {

// Throws ConfigError listing every problem found.
ExperimentConfig resolve_config(const std::filesystem::path& file,
                                const std::vector<std::string>& overrides = {});

// The complete config as YAML; reading it back gives the same config. With `comments`, every key
// carries its documentation. This is what a run saves next to its checkpoints.
std::string to_yaml(const ExperimentConfig& config, bool comments = false);

}  // namespace pathodino::config
