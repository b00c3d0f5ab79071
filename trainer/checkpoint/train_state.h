// TrainState: everything in a run that carries state from step to step, as named tensors — what a
// checkpoint holds and a resume restores:
//   student.<name>, teacher.<name>        parameters and backbone buffers (EMA teacher included)
//   optim.<student name>.exp_avg|exp_avg_sq|step  AdamW moments and step count
//   center.dino, center.ibot              the softmax centers
// Schedules, the sampler and every random stream are functions of the step (and the seed), so
// the step and the sampler position in the manifest complete the state. Under ZeRO-1 a rank holds
// the optimizer state of its pieces of each tensor only (optim/optimizer_pieces.h): a piece is
// saved as optim.<name>.exp_avg@<offset> (flat) by its rank, and the other ranks' pieces appear
// as shape-only (meta) tensors with their owner. A resume assembles the whole moments from any
// checkpoint (of any world size, pieces or whole) and takes the pieces this rank holds now.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <torch/types.h>

#include "trainer/optim/optimizer_pieces.h"
#include "trainer/optim/scheduled_adamw.h"
#include "trainer/ssl/student_teacher.h"

namespace pathodino::checkpoint {

struct NamedTensor {
  std::string name;
  torch::Tensor tensor;  // a meta tensor when another rank holds it
  int owner = -1;        // the rank that must write it; -1: every rank holds it
};

class TrainState {
 public:
  // Creates the optimizer's per-tensor state now (zeros, step 0 — what AdamW's first step would
  // create), so that every rank has the same tensors to save or restore from step 0 on.
  // `layout`: who holds which piece of each student tensor's state (student().parameters()
  // order; TrainStep::optimizer_layout()).
  TrainState(ssl::StudentTeacher& model, optim::ScheduledAdamW& optimizer,
             optim::OptimizerLayout layout);

  // The state's tensors in a fixed order: live tensors (read them before the next step changes
  // them), plus fresh ones for the optimizer's step counts.
  std::vector<NamedTensor> tensors() const;

  // Copies `loaded` (CPU tensors by name) into the live state; throws CheckpointError naming
  // every tensor that is missing, unexpected or of another shape or dtype.
  void restore(const std::map<std::string, torch::Tensor>& loaded, const std::string& origin);

 private:
  // What a checkpoint must hold, whole, whatever the layout that wrote it: live tensors, or
  // meta tensors of the right shape and dtype.
  std::vector<std::pair<std::string, torch::Tensor>> expected_whole() const;

  ssl::StudentTeacher& model_;
  optim::ScheduledAdamW& optimizer_;
  std::vector<std::pair<std::string, torch::Tensor>> student_, teacher_;
  optim::OptimizerLayout layout_;
};

}  // namespace pathodino::checkpoint
