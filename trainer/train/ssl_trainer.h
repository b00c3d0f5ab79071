// The single-process training run, in DINOv2's stages: build (data → model → optimizer →
// schedules) → loop (batch → schedule values → forward → non-finite guard → backward → clip →
// step → EMA → log) → finish (export the teacher backbone). The distributed trainer (#5) wraps the
// same stages with a communicator.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>

#include "trainer/config/experiment_config.h"

namespace pathodino::train {

struct TrainSummary {
  std::filesystem::path run_dir, metrics_file, teacher_file;
  int64_t steps = 0, skipped_steps = 0;
  double seconds = 0, images_per_second = 0;
};

struct TrainRequest {
  ExperimentConfig config;
  bool overwrite = false;  // reuse a run folder that already holds a run
};

// Runs the config to the end. Progress lines go to `progress`; throws TrainingDiverged after too
// many non-finite steps and std::runtime_error for anything that stops the run, naming the cause.
TrainSummary run_training(const TrainRequest& request, std::ostream& progress);

}  // namespace pathodino::train
