// When a run saves, and how: every checkpoint.every_steps steps and at the end; in the background
// when checkpoint.async_save (the last save always waits); and what a failed save does
// (checkpoint.on_save_failure). It owns the run's CheckpointWriter, so there is one save path:
// the writer's, with its background worker.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "trainer/checkpoint/checkpoint_directory.h"
#include "trainer/checkpoint/checkpoint_manifest.h"
#include "trainer/checkpoint/checkpoint_options.h"
#include "trainer/checkpoint/checkpoint_writer.h"
#include "trainer/checkpoint/train_state.h"
#include "trainer/distributed/communicator.h"

namespace pathodino::checkpoint {

class CheckpointCadence {
 public:
  // Every save's outcome, on every rank, at the step boundary where this rank learns it;
  // `run_stops`: it failed under on_save_failure: stop, and the run will stop at the next save.
  using Report = std::function<void(const SaveOutcome& outcome, bool run_stops)>;
  // The run's manifest fields (step, config, sampler, counters) after `steps_done` steps.
  using ManifestOf = std::function<Manifest(int64_t steps_done)>;

  // `comm` is the writer's own communicator (see CheckpointWriter); `state` outlives this.
  CheckpointCadence(CheckpointDirectory directory, const CheckpointOptions& options,
                    distributed::Communicator& comm, const TrainState& state, Report report);

  // At the end of every step, on every rank with the same `step`; `last` at the run's last.
  // Reports a background save that has ended (not collective); when a save is due, finishes the
  // one in flight, then starts the new one (collective: Note [Checkpoint sums]). Throws
  // std::runtime_error there when an earlier failure stops the run — at a due save, where every
  // rank knows every outcome. True when a save started.
  bool at_step_end(int64_t step, bool last, const ManifestOf& manifest_of);

  // Saves run in the background: call before_state_update() before the first in-place change of
  // the state after each step boundary (the save may still be copying it).
  bool in_background() const { return options_.async_save; }
  void before_state_update() { writer_.wait_until_staged(); }

  int64_t failed_saves() const { return failed_saves_; }
  double blocking_seconds() const { return blocking_seconds_; }  // training time spent in saves
  const std::filesystem::path& last_checkpoint() const { return last_checkpoint_; }

 private:
  void take(const SaveOutcome& outcome);
  void stop_if_failed() const;

  CheckpointOptions options_;
  const TrainState& state_;
  Report report_;
  CheckpointWriter writer_;
  std::string stop_reason_;  // a failed save under on_save_failure: stop
  int64_t failed_saves_ = 0;
  double blocking_seconds_ = 0;
  std::filesystem::path last_checkpoint_;
};

}  // namespace pathodino::checkpoint
