#include "trainer/metrics/step_timeline.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "trainer/system/durable_file.h"

namespace pathodino::metrics {

StepTimeline::StepTimeline(int64_t first_step, int64_t steps, int rank)
    : first_(first_step), steps_(steps), rank_(rank) {}

void StepTimeline::add(const std::string& name, Track track, int64_t step, TimePoint begin,
                       TimePoint end) {
  if (!in_window(step)) return;
  const auto us = [&](TimePoint t) {
    return std::chrono::duration<double, std::micro>(t - origin_).count();
  };
  events_.push_back({name, track, step, us(begin), std::max(0.0, us(end) - us(begin))});
}

std::string StepTimeline::events_json() const {
  using nlohmann::json;
  json events = json::array();
  const auto metadata = [&](const char* kind, int tid, json args) {
    events.push_back(
        {{"ph", "M"}, {"name", kind}, {"pid", rank_}, {"tid", tid}, {"args", std::move(args)}});
  };
  metadata("process_name", compute, {{"name", "rank " + std::to_string(rank_)}});
  metadata("process_sort_index", compute, {{"sort_index", rank_}});
  metadata("thread_name", compute, {{"name", "compute"}});
  metadata("thread_name", communication, {{"name", "gradient all-reduce"}});
  for (const Event& e : events_)
    events.push_back({{"name", e.name},
                      {"cat", e.track == compute ? "step" : "allreduce"},
                      {"ph", "X"},
                      {"pid", rank_},
                      {"tid", static_cast<int>(e.track)},
                      {"ts", e.start_us},
                      {"dur", e.duration_us},
                      {"args", {{"step", e.step}}}});
  std::string text;
  for (const json& e : events) {
    if (!text.empty()) text += ",\n";
    text += e.dump();
  }
  return text;
}

void write_chrome_trace(const std::filesystem::path& file, const std::vector<std::string>& ranks) {
  std::string text = "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [\n";
  bool first = true;
  for (const std::string& events : ranks) {
    if (events.empty()) continue;
    if (!first) text += ",\n";
    text += events;
    first = false;
  }
  text += "\n]}\n";
  system::write_file_durably(file, text);
}

}  // namespace pathodino::metrics
