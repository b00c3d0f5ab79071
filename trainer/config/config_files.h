// Reading a config file with its `base:` chain, and applying `--set` overrides.
//
// `base:` names one path or a list of paths, relative to the file that names them. Bases are
// merged in order (later ones win), then the file itself on top; maps merge deeply, lists and
// scalars replace. Inheritance may be many levels deep; a cycle is an issue, not a hang.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "trainer/config/config_node.h"

namespace pathodino::config {

// The merged tree of `path` and all its bases, with `base:` keys removed.
ConfigNode load_config_tree(const std::filesystem::path& path, ConfigIssues& issues);

// The precedence layer of command-line overrides: above every file.
constexpr int kOverrideLayer = 1 << 30;

// One `--set a.b.c=value`. The value is YAML: `[1, 2]` is a list, anything else a scalar, and the
// schema decides the type. Malformed overrides are issues.
struct Override {
  std::string key;
  ConfigNode value;
};
Override parse_override(const std::string& text, ConfigIssues& issues);

// The VALUE text that parse_override reads back as `value`: a scalar verbatim, a list or a map in
// flow YAML ("[0.5, 0.5, 0.5]").
std::string override_text(const ConfigNode& value);

// Sets `override.value` at its dotted key, creating maps on the way.
void apply_override(ConfigNode& root, const Override& override, ConfigIssues& issues);

}  // namespace pathodino::config
