#include "trainer/config/config_files.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

namespace pathodino::config {
namespace fs = std::filesystem;
namespace {

struct Loader {
  ConfigIssues& issues;
  std::vector<fs::path> stack;  // files being loaded, outermost first: cycle detection
  int next_layer = 1;           // files are numbered after their bases: later = higher precedence

  static void stamp_layer(ConfigNode& node, int layer) {
    node.origin.layer = layer;
    for (auto& item : node.items) stamp_layer(item, layer);
    for (auto& [key, value] : node.entries) stamp_layer(value, layer);
  }

  std::string chain(const fs::path& closing) const {
    std::string text;
    for (const auto& p : stack) text += p.filename().string() + " -> ";
    return text + closing.filename().string();
  }

  ConfigNode load(const fs::path& path, const Origin& requested_by) {
    std::error_code ec;
    const fs::path canonical = fs::weakly_canonical(path, ec);
    if (std::find(stack.begin(), stack.end(), canonical) != stack.end()) {
      issues.push_back({"base", requested_by, "inheritance cycle: " + chain(canonical)});
      return ConfigNode::make_map(requested_by);
    }
    ConfigNode file = load_yaml_file(path, requested_by, issues);
    if (file.kind == ConfigNode::Kind::null) return ConfigNode::make_map({path.string(), 0});
    if (file.kind != ConfigNode::Kind::map) {
      issues.push_back(
          {"", file.origin,
           "a config file must be a map of sections, found " + std::string(file.kind_name())});
      return ConfigNode::make_map({path.string(), 0});
    }
    stack.push_back(canonical);
    ConfigNode merged = ConfigNode::make_map({path.string(), 0});
    for (const auto& [base_path, origin] : base_paths(file, path))
      merge_into(merged, load(base_path, origin));
    file.erase("base");
    stamp_layer(file, next_layer++);
    merge_into(merged, file);
    stack.pop_back();
    return merged;
  }

  std::vector<std::pair<fs::path, Origin>> base_paths(const ConfigNode& file,
                                                      const fs::path& path) {
    std::vector<std::pair<fs::path, Origin>> paths;
    const ConfigNode* base = file.find("base");
    if (!base) return paths;
    auto add = [&](const ConfigNode& item) {
      if (item.kind != ConfigNode::Kind::scalar || item.scalar.empty()) {
        issues.push_back(
            {"base", item.origin, "expected a file path, found " + std::string(item.kind_name())});
        return;
      }
      paths.emplace_back(path.parent_path() / item.scalar, item.origin);
    };
    if (base->kind == ConfigNode::Kind::sequence)
      for (const auto& item : base->items) add(item);
    else
      add(*base);
    return paths;
  }
};

}  // namespace

ConfigNode load_config_tree(const fs::path& path, ConfigIssues& issues) {
  Loader loader{issues, {}};
  return loader.load(path, {"command line", 0});
}

Override parse_override(const std::string& text, ConfigIssues& issues) {
  const Origin origin{"--set " + text, 0, kOverrideLayer};
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    issues.push_back({"", origin, "expected KEY=VALUE, e.g. --set optim.base_lr=0.001"});
    return {};
  }
  Override result{text.substr(0, eq), {}};
  const std::string value = text.substr(eq + 1);
  if (!value.empty() && (value.front() == '[' || value.front() == '{')) {
    ConfigIssues parse_issues;
    result.value = parse_yaml(value, origin.source, parse_issues);
    for (auto& issue : parse_issues) {
      issue.key = result.key;
      issue.origin = origin;
      issues.push_back(issue);
    }
  } else {
    result.value.kind = ConfigNode::Kind::scalar;
    result.value.scalar = value;
  }
  auto set_origin = [&](auto& self, ConfigNode& node) -> void {
    node.origin = origin;
    for (auto& item : node.items) self(self, item);
    for (auto& [k, v] : node.entries) self(self, v);
  };
  set_origin(set_origin, result.value);
  return result;
}

std::string override_text(const ConfigNode& value) {
  if (value.kind == ConfigNode::Kind::scalar) return value.scalar;
  YAML::Emitter out;
  out << YAML::Flow;
  emit_yaml(out, value);
  return out.c_str();
}

void apply_override(ConfigNode& root, const Override& override, ConfigIssues& issues) {
  const std::string& key = override.key;
  if (key.empty()) return;
  ConfigNode* node = &root;
  std::string parent;  // dotted path of `node`
  std::size_t start = 0;
  while (true) {
    const auto dot = key.find('.', start);
    const std::string part = key.substr(start, dot == std::string::npos ? dot : dot - start);
    if (part.empty()) {
      issues.push_back({key, override.value.origin, "empty part in key path"});
      return;
    }
    if (node->kind == ConfigNode::Kind::null) *node = ConfigNode::make_map(override.value.origin);
    if (node->kind != ConfigNode::Kind::map) {
      issues.push_back({key, override.value.origin, "'" + parent + "' is a value, not a section"});
      return;
    }
    ConfigNode* child = node->find(part);
    if (!child) {
      node->entries.emplace_back(part, ConfigNode{});
      child = &node->entries.back().second;
    }
    if (dot == std::string::npos) {
      *child = override.value;
      return;
    }
    parent = key.substr(0, dot);
    node = child;
    start = dot + 1;
  }
}

}  // namespace pathodino::config
