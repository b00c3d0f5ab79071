#include "trainer/train/nonfinite_guard.h"

#include <cmath>
#include <sstream>

namespace pathodino::train {

bool NonfiniteGuard::accept(int64_t step,
                            const std::vector<std::pair<std::string, double>>& terms) {
  for (const auto& [name, value] : terms) {
    if (std::isfinite(value)) continue;
    ++consecutive_;
    ++skipped_total_;
    if (consecutive_ >= max_consecutive_) {
      std::ostringstream message;
      message << "step " << step << ": " << name << " is "
              << (std::isnan(value) ? "NaN"
                  : value > 0       ? "+inf"
                                    : "-inf")
              << " for " << consecutive_
              << " consecutive steps (run.max_consecutive_nonfinite = " << max_consecutive_
              << "); stopping. Lower optim.base_lr or raise optim.warmup_epochs.";
      throw TrainingDiverged(message.str());
    }
    return false;
  }
  consecutive_ = 0;
  return true;
}

}  // namespace pathodino::train
