// Problems found while loading and validating a config. They are collected, never thrown one by
// one, so that a user sees every problem of a config at once.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace pathodino::config {

// Where a value came from: a file and 1-based line, or a command-line override.
struct Origin {
  std::string source;  // file path, "--set KEY=VALUE", or "default"
  int line = 0;        // 0 when not from a file
  // Precedence of the source: a file's bases have lower layers than the file, --set the highest.
  // Cross-key checks blame the key that was set in the highest layer.
  int layer = 0;
  std::string describe() const;
};

struct ConfigIssue {
  std::string key;      // dotted key path, e.g. "optim.base_lr"; empty for file-level problems
  Origin origin;        // where the offending value (or the file) is
  std::string message;  // what is wrong and what was expected
  std::string describe() const;  // "file:line: key: message"
};

using ConfigIssues = std::vector<ConfigIssue>;

// Thrown once validation has collected all issues; what() lists every one of them.
class ConfigError : public std::runtime_error {
 public:
  // `subject` names what was invalid in what(): "config", "sweep file", ...
  explicit ConfigError(ConfigIssues issues, const std::string& subject = "config");
  const ConfigIssues& issues() const { return issues_; }

 private:
  ConfigIssues issues_;
};

}  // namespace pathodino::config
