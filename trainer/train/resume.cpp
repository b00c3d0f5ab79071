#include "trainer/train/resume.h"

#include <ostream>
#include <stdexcept>

#include "trainer/distributed/rank_consistency.h"

namespace pathodino::train {

std::optional<checkpoint::LoadedCheckpoint> load_resume_checkpoint(
    const ResumeRequest& request, distributed::Communicator& control, std::ostream& progress) {
  std::optional<checkpoint::LoadedCheckpoint> resumed;
  if (request.spec.empty()) return resumed;
  const bool rank0 = control.rank() == 0;
  std::string chosen;
  distributed::on_rank0_for_all(control, [&] {
    auto choice = checkpoint::choose_resume_checkpoint(request.spec, request.checkpoints,
                                                       request.fallback_to_previous, request.keys);
    if (!choice) return;
    for (const std::string& warning : choice->warnings) progress << "warning: " << warning << "\n";
    chosen = choice->checkpoint.path.string();
    resumed = std::move(choice->checkpoint);
  });
  chosen = distributed::broadcast_text(chosen, control);
  if (chosen.empty()) return resumed;
  if (!rank0) resumed = checkpoint::load_checkpoint(chosen, {}, request.keys);
  const checkpoint::Manifest& m = resumed->manifest;
  if (rank0) {
    const int world = control.world_size();
    progress << "resuming from " << chosen << ": step " << m.step << ", sample position "
             << m.sampler.position << " (epoch " << m.sampler.epoch() << "), written by "
             << m.world_size << " rank(s)"
             << (m.world_size != world ? ", resharded to " + std::to_string(world) : "") << "\n";
    if (m.config_hash != distributed::checksum(request.config_yaml))
      progress << "warning: the config differs from the one the checkpoint was written with "
                  "(see its config.yaml)\n";
  }
  if (m.sampler.seed != request.seed)
    throw std::runtime_error(chosen + ": written by a run with seed " +
                             std::to_string(m.sampler.seed) + ", this config has run.seed " +
                             std::to_string(request.seed));
  return resumed;
}

}  // namespace pathodino::train
