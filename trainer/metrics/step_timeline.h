// StepTimeline: a Chrome-trace (Trace Event Format) record of what each rank did during a window
// of steps — data wait, batch to device, forward, backward, each gradient bucket's all-reduce,
// gradient wait, optimizer, EMA, kNN, checkpoint — to open in Perfetto (ui.perfetto.dev) or
// chrome://tracing. One process per rank; compute on track 0, the bucket transfers on track 1, so
// the overlap of communication with backward, and the loader's share, are visible at a glance.
// Times are each rank's steady clock relative to its `start()`, which the trainer calls right after
// a barrier: ranks line up to the barrier's skew (microseconds), also across nodes.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace pathodino::metrics {

class StepTimeline {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  enum Track : int { compute = 0, communication = 1 };

  // Records steps [first_step, first_step + steps); steps = 0 records nothing.
  StepTimeline(int64_t first_step, int64_t steps, int rank);

  bool in_window(int64_t step) const { return step >= first_ && step < first_ + steps_; }
  bool is_first(int64_t step) const { return steps_ > 0 && step == first_; }
  bool is_last(int64_t step) const { return steps_ > 0 && step == first_ + steps_ - 1; }

  void start(TimePoint origin) { origin_ = origin; }
  void add(const std::string& name, Track track, int64_t step, TimePoint begin, TimePoint end);

  // This rank's events as JSON objects, comma-separated (no brackets), with its process and track
  // names: the piece rank 0 joins with the other ranks'.
  std::string events_json() const;
  std::size_t event_count() const { return events_.size(); }

 private:
  struct Event {
    std::string name;
    Track track;
    int64_t step;
    double start_us, duration_us;
  };
  int64_t first_, steps_;
  int rank_;
  TimePoint origin_{};
  std::vector<Event> events_;
};

// Writes {"traceEvents": [...]} from every rank's events_json(), durably.
void write_chrome_trace(const std::filesystem::path& file, const std::vector<std::string>& ranks);

}  // namespace pathodino::metrics
