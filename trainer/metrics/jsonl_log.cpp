#include "trainer/metrics/jsonl_log.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace pathodino::metrics {

JsonlLog::JsonlLog(const std::filesystem::path& path) : path_(path) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  out_.open(path, std::ios::app);
  if (!out_) throw std::runtime_error(path.string() + ": cannot open for appending");
}

std::string JsonlLog::to_json_line(const LogRecord& record) {
  nlohmann::ordered_json line;
  for (const auto& [key, value] : record.integers) line[key] = value;
  for (const auto& [key, value] : record.numbers)
    line[key] = std::isfinite(value) ? nlohmann::ordered_json(value) : nlohmann::ordered_json();
  for (const auto& [key, value] : record.texts) line[key] = value;
  return line.dump();
}

void JsonlLog::write(const LogRecord& record) {
  out_ << to_json_line(record) << '\n';
  out_.flush();
  if (!out_) throw std::runtime_error(path_.string() + ": write failed");
}

}  // namespace pathodino::metrics
