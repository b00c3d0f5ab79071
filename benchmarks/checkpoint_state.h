// What the checkpoint benchmarks share: the training state they save (student, teacher, AdamW
// moments and centers of a config's model, built as the trainer builds it) and the slowest
// rank's time.
#pragma once

#include <mpi.h>
#include <torch/torch.h>

#include <vector>

#include "trainer/checkpoint/train_state.h"
#include "trainer/config/experiment_config.h"
#include "trainer/ssl/student_teacher.h"
#include "trainer/train/train_step.h"

namespace pathodino::bench {

// Seed LibTorch first (torch::manual_seed) for the same state run after run.
struct CheckpointedState {
  explicit CheckpointedState(const ExperimentConfig& config)
      : model(config.model, config.ssl, config.data.global_crops_size, 0),
        step(model, config.optim, 3, false),
        state(model, step.optimizer(), step.optimizer_layout()),
        tensors(state.tensors()) {}
  ssl::StudentTeacher model;
  train::TrainStep step;
  checkpoint::TrainState state;
  std::vector<checkpoint::NamedTensor> tensors;
};

inline double slowest(double mine, MPI_Comm comm) {
  double out = 0;
  MPI_Allreduce(&mine, &out, 1, MPI_DOUBLE, MPI_MAX, comm);
  return out;
}

}  // namespace pathodino::bench
