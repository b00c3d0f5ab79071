// ConfigNode: a YAML document as a tree that remembers where every value came from, so that
// merged configs can still name the file and line of each key. Maps keep file order.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trainer/config/config_issue.h"

namespace YAML {
class Emitter;
}

namespace pathodino::config {

struct ConfigNode {
  enum class Kind { null, scalar, sequence, map };

  Kind kind = Kind::null;
  std::string scalar;             // the scalar's text, when kind == scalar
  bool quoted = false;            // a quoted scalar is always a string
  std::vector<ConfigNode> items;  // kind == sequence
  std::vector<std::pair<std::string, ConfigNode>> entries;  // kind == map, in file order
  Origin origin;

  static ConfigNode make_map(Origin origin);
  const ConfigNode* find(std::string_view key) const;
  ConfigNode* find(std::string_view key);
  // Follows a dotted path through nested maps; nullptr when any part is absent.
  const ConfigNode* find_path(std::string_view dotted) const;
  void erase(std::string_view key);
  std::string_view kind_name() const;
};

// Deep merge: maps merge key by key (recursively); anything else in `top` replaces `base`.
void merge_into(ConfigNode& base, const ConfigNode& top);

// Parses YAML text; `source` names it in origins and issues. Malformed YAML and duplicate keys
// are appended to `issues` (the result is then a null node or the keys kept so far).
ConfigNode parse_yaml(const std::string& text, const std::string& source, ConfigIssues& issues);

// Writes `node` as YAML, lists in flow style. comment_of(dotted path) is the comment written after
// a map's key ("" for none).
void emit_yaml(YAML::Emitter& out, const ConfigNode& node,
               const std::function<std::string(const std::string&)>& comment_of = {},
               const std::string& path = "");

// Reads and parses a file; a missing or unreadable file is an issue attributed to `requested_by`.
ConfigNode load_yaml_file(const std::filesystem::path& path, const Origin& requested_by,
                          ConfigIssues& issues);

}  // namespace pathodino::config
