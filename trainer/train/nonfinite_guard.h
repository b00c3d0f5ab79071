// NonfiniteGuard: a step whose loss terms or gradient norm are not finite is skipped (no update,
// no EMA) and counted; after `max_consecutive` skipped steps in a row the run stops with an error
// naming the step and the term that went bad first, rather than silently training on garbage.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace pathodino::train {

class TrainingDiverged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class NonfiniteGuard {
 public:
  explicit NonfiniteGuard(int64_t max_consecutive) : max_consecutive_(max_consecutive) {}

  // True when every value is finite. Otherwise records a skipped step and returns false, or
  // throws TrainingDiverged when this makes `max_consecutive` in a row.
  bool accept(int64_t step, const std::vector<std::pair<std::string, double>>& terms);

  int64_t skipped_total() const { return skipped_total_; }
  int64_t consecutive() const { return consecutive_; }
  // A resumed run's counts, from its checkpoint.
  void restore(int64_t skipped_total, int64_t consecutive) {
    skipped_total_ = skipped_total;
    consecutive_ = consecutive;
  }

 private:
  int64_t max_consecutive_;
  int64_t consecutive_ = 0, skipped_total_ = 0;
};

}  // namespace pathodino::train
