// JsonlLog: one JSON object per line, appended and flushed per record, so a crashed run keeps
// everything up to its last step and `tail -f | jq` works while it runs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace pathodino::metrics {

struct LogRecord {
  std::vector<std::pair<std::string, int64_t>> integers;
  std::vector<std::pair<std::string, double>> numbers;  // non-finite values are written as null
  std::vector<std::pair<std::string, std::string>> texts;
};

class JsonlLog {
 public:
  explicit JsonlLog(const std::filesystem::path& path);  // appends; creates parent folders
  void write(const LogRecord& record);
  static std::string to_json_line(const LogRecord& record);

 private:
  std::filesystem::path path_;
  std::ofstream out_;
};

}  // namespace pathodino::metrics
