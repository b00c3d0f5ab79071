#include "trainer/metrics/run_log.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace pathodino::metrics {

const Curve& RunLog::curve(const std::string& key) const {
  static const Curve kNone;
  const auto it = curves.find(key);
  return it == curves.end() ? kNone : it->second;
}

std::optional<double> RunLog::last(const std::string& key) const {
  const Curve& c = curve(key);
  if (c.empty()) return std::nullopt;
  return c.back().second;
}

std::vector<std::string> RunLog::suffixes(const std::string& prefix) const {
  std::vector<std::string> out;
  for (auto it = curves.lower_bound(prefix);
       it != curves.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
    out.push_back(it->first.substr(prefix.size()));
  return out;
}

RunLog read_run_log(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(file.string() + ": cannot open the run's metrics log");
  std::map<std::string, std::map<int64_t, double>> values;
  RunLog log{file, 0, -1, {}, 0, {}};
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("step") || !j["step"].is_number_integer()) {
      if (log.unreadable++ == 0)
        log.first_unreadable = file.string() + ":" + std::to_string(number);
      continue;
    }
    const int64_t step = j["step"].get<int64_t>();
    ++log.records;
    log.last_step = std::max(log.last_step, step);
    for (const auto& [key, value] : j.items())
      if (key != "step" && value.is_number()) values[key][step] = value.get<double>();
  }
  for (const auto& [key, by_step] : values) log.curves[key] = Curve(by_step.begin(), by_step.end());
  return log;
}

}  // namespace pathodino::metrics
