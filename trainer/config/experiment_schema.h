// The schema of ExperimentConfig: every key of an experiment config (experiment_schema.cpp).
#pragma once

#include "trainer/config/experiment_config.h"
#include "trainer/config/schema.h"

namespace pathodino::config {

using ExperimentSchema = Schema<ExperimentConfig>;

ExperimentSchema make_experiment_schema();

}  // namespace pathodino::config
