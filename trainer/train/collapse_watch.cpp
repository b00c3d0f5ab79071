#include "trainer/train/collapse_watch.h"

#include <fmt/format.h>

#include <cmath>

namespace pathodino::train {
namespace {
// Teacher entropy, as a share of log K, from which its targets count as uniform.
constexpr double kUniformTeacher = 0.98;
}  // namespace

CollapseWatch::CollapseWatch(int64_t prototypes, int64_t warmup_end, double tolerance,
                             int64_t remind_every)
    : log_k_(std::log(static_cast<double>(prototypes))),
      warmup_end_(warmup_end),
      tolerance_(tolerance),
      remind_every_(remind_every) {}

void CollapseWatch::add(double dino_loss) {
  if (!std::isfinite(dino_loss)) return;
  sum_ += dino_loss;
  ++count_;
}

std::optional<std::string> CollapseWatch::check(int64_t step, double teacher_entropy) {
  const double mean = count_ > 0 ? sum_ / static_cast<double>(count_) : NAN;
  sum_ = 0;
  count_ = 0;
  collapsed_ = step + 1 > warmup_end_ && std::isfinite(mean) && mean >= (1 - tolerance_) * log_k_;
  if (!collapsed_) return std::nullopt;
  if (checks_since_warning_ >= 0 && ++checks_since_warning_ < remind_every_) return std::nullopt;
  checks_since_warning_ = 0;
  // The loss sits at log K when either side is near uniform; which one decides what to change.
  const bool teacher_uniform = teacher_entropy >= kUniformTeacher * log_k_;
  return fmt::format(
      "warning: uniform collapse: after step {} the DINO loss is {:.3f}, at log K = {:.3f} "
      "(teacher entropy {:.3f} = {:.2f} log K): {}. Usual causes: LayerScale so small that the "
      "CLS token ignores the image, a head whose outputs barely differ between images, a "
      "learning rate too low for the batch, a teacher that moves too slowly "
      "(ssl.teacher.momentum), too many prototypes for the batch.",
      step + 1, mean, log_k_, teacher_entropy, teacher_entropy / log_k_,
      teacher_uniform ? "the centred teacher targets are uniform, so the student learns nothing "
                        "about the images from the DINO term"
                      : "the teacher's targets are off uniform but the student's predictions stay "
                        "near it, so the DINO term teaches the student little");
}

}  // namespace pathodino::train
