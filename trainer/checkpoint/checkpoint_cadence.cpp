#include "trainer/checkpoint/checkpoint_cadence.h"

#include <stdexcept>
#include <utility>

namespace pathodino::checkpoint {

CheckpointCadence::CheckpointCadence(CheckpointDirectory directory,
                                     const CheckpointOptions& options,
                                     distributed::Communicator& comm, const TrainState& state,
                                     Report report)
    : options_(options),
      state_(state),
      report_(std::move(report)),
      writer_(std::move(directory), options, comm) {
  if (options_.async_save) writer_.prepare_async(state_.tensors());
}

void CheckpointCadence::take(const SaveOutcome& outcome) {
  blocking_seconds_ += outcome.blocking_seconds;
  if (outcome.ok) {
    last_checkpoint_ = outcome.path;
  } else {
    ++failed_saves_;
    // An async save's outcome reaches the ranks at different steps: the run stops at the next
    // due save, where every rank has it.
    if (options_.on_save_failure == OnSaveFailure::stop && stop_reason_.empty())
      stop_reason_ = outcome.error + " (checkpoint.on_save_failure: stop)";
  }
  report_(outcome, !stop_reason_.empty() && !outcome.ok);
}

void CheckpointCadence::stop_if_failed() const {
  if (!stop_reason_.empty()) throw std::runtime_error(stop_reason_);
}

bool CheckpointCadence::at_step_end(int64_t step, bool last, const ManifestOf& manifest_of) {
  if (writer_.in_flight())
    if (auto saved = writer_.poll()) take(*saved);
  const int64_t every = options_.every_steps;
  if (!last && (every <= 0 || (step + 1) % every != 0)) return false;
  // At most one save in flight: a due save first finishes the previous one.
  if (writer_.in_flight()) take(writer_.finish());
  stop_if_failed();
  Manifest manifest = manifest_of(step + 1);
  if (options_.async_save && !last) {
    writer_.start_async(state_.tensors(), std::move(manifest));
  } else {
    take(writer_.save(state_.tensors(), std::move(manifest)));
    stop_if_failed();
  }
  return true;
}

}  // namespace pathodino::checkpoint
