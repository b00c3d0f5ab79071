// CollapseWatch: says, in words, when a run's DINO term sits at log K after warm-up — the
// uniform-collapse signature (the centred teacher targets are uniform, so the student is taught
// nothing about the image). Fed every step; judged on the mean DINO loss since the last progress
// line, from the step where the learning-rate and teacher-temperature warm-ups have ended. A run
// that stays collapsed is reminded every `remind_every` progress lines, not every line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace pathodino::train {

class CollapseWatch {
 public:
  // `prototypes`: K of the DINO head; `warmup_end`: first step judged; `tolerance`: how close to
  // log K (as a share of it) counts as "at".
  CollapseWatch(int64_t prototypes, int64_t warmup_end, double tolerance = 0.01,
                int64_t remind_every = 10);

  void add(double dino_loss);  // once per applied step
  // At a progress line after `step`: the warning to print, if any. Resets the running mean.
  std::optional<std::string> check(int64_t step, double teacher_entropy);
  bool collapsed() const { return collapsed_; }  // the last check's verdict
  double log_prototypes() const { return log_k_; }

 private:
  double log_k_;
  int64_t warmup_end_;
  double tolerance_;
  int64_t remind_every_;
  double sum_ = 0;
  int64_t count_ = 0;
  bool collapsed_ = false;
  int64_t checks_since_warning_ = -1;  // -1: never warned
};

}  // namespace pathodino::train
