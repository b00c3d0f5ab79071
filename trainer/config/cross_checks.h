// Checks that involve several keys (crop sizes against the patch size, schedule lengths, ...).
// Each problem names the key a user most likely has to change and where that key was set.
#pragma once

#include "trainer/config/config_node.h"
#include "trainer/config/experiment_config.h"

namespace pathodino::config {

void check_consistency(const ExperimentConfig& config, const ConfigNode& tree,
                       ConfigIssues& issues);

}  // namespace pathodino::config
