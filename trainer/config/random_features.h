// The random-feature yardstick every learning claim of `eval` is read against.
#pragma once

#include "trainer/config/experiment_config.h"

namespace pathodino::config {

// Note [Random-feature yardstick]: a learning claim is read against random features of the same
// architecture *without* LayerScale, over several init seeds. With LayerScale's 1e-5 init the
// residual branches are nearly off and every image gets almost the same CLS token, so a run's own
// initialisation is a baseline any training beats; random weights with the branches on already
// separate most textures. The demo, the learning proof, benchmarks/learning, every `eval`
// subcommand's --random-baseline / --baseline and the run report ask for it here, so the
// definition lives here only.
inline ExperimentConfig random_feature_config(ExperimentConfig config) {
  config.model.layerscale_init = 0.0;
  config.model.pretrained.clear();
  return config;
}

}  // namespace pathodino::config
