#include "trainer/config/config_issue.h"

namespace pathodino::config {
namespace {

std::string describe_all(const ConfigIssues& issues, const std::string& subject) {
  std::string text = "invalid " + subject + ": " + std::to_string(issues.size()) +
                     (issues.size() == 1 ? " problem" : " problems");
  for (const auto& issue : issues) text += "\n  " + issue.describe();
  return text;
}

}  // namespace

std::string Origin::describe() const {
  return line > 0 ? source + ":" + std::to_string(line) : source;
}

std::string ConfigIssue::describe() const {
  std::string text = origin.describe() + ": ";
  if (!key.empty()) text += key + ": ";
  return text + message;
}

ConfigError::ConfigError(ConfigIssues issues, const std::string& subject)
    : std::runtime_error(describe_all(issues, subject)), issues_(std::move(issues)) {}

}  // namespace pathodino::config
