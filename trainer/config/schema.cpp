#include "trainer/config/schema.h"

#include <algorithm>

#include "trainer/config/config_files.h"

namespace pathodino::config {
namespace {

std::string number(double v) {
  std::string text = format_real(v);
  if (text.ends_with(".0")) text.resize(text.size() - 2);
  return text;
}

std::string bounds_text(const FieldSpec& spec) {
  if (spec.min && spec.max)
    return std::string(" in ") + (spec.min_exclusive ? "(" : "[") + number(*spec.min) + ", " +
           number(*spec.max) + (spec.max_exclusive ? ")" : "]");
  if (spec.min) return (spec.min_exclusive ? " > " : " >= ") + number(*spec.min);
  if (spec.max) return (spec.max_exclusive ? " < " : " <= ") + number(*spec.max);
  return "";
}

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string_view leaf(std::string_view path) {
  const auto dot = path.rfind('.');
  return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

std::string_view parent(std::string_view path) {
  const auto dot = path.rfind('.');
  return dot == std::string_view::npos ? std::string_view{} : path.substr(0, dot);
}

}  // namespace

std::string FieldSpec::expected() const {
  switch (kind) {
    case FieldKind::integer:
      return "an integer" + bounds_text(*this);
    case FieldKind::real:
      return "a float" + bounds_text(*this);
    case FieldKind::boolean:
      return "true or false";
    case FieldKind::choice:
      return "one of: " + join(choices);
    case FieldKind::string:
      return choices.empty() ? "a string" : "one of: " + join(choices);
    case FieldKind::tree:
      return "a YAML value";
    default:
      break;
  }
  const std::string count = length ? std::to_string(*length) + " " : "";
  const std::string each = bounds_text(*this).empty() ? "" : ", each" + bounds_text(*this);
  switch (kind) {
    case FieldKind::integer_list:
      return "a list of " + count + "integers" + each;
    case FieldKind::real_list:
      return "a list of " + count + "floats" + each;
    default:
      return "a list of " + count + "strings";
  }
}

std::string check_constraints(const FieldSpec& spec, double value) {
  const bool low = spec.min && (spec.min_exclusive ? value <= *spec.min : value < *spec.min);
  const bool high = spec.max && (spec.max_exclusive ? value >= *spec.max : value > *spec.max);
  if (!low && !high) return "";
  return "out of range: expected " + spec.expected() + ", found " + number(value);
}

std::string check_choices(const FieldSpec& spec, const std::string& value) {
  if (spec.choices.empty() ||
      std::find(spec.choices.begin(), spec.choices.end(), value) != spec.choices.end())
    return "";
  return "expected one of: " + join(spec.choices) + ", found '" + value + "'";
}

FieldSpec& SchemaKeys::declare(std::string path, std::string doc, FieldKind kind) {
  FieldSpec& spec = specs_.emplace_back();
  spec.path = std::move(path);
  spec.doc = std::move(doc);
  spec.kind = kind;
  return spec;
}

void SchemaKeys::walk(const ConfigNode& root, ConfigIssues& issues,
                      const std::function<void(std::size_t, const ConfigNode&)>& read) const {
  std::vector<std::string> seen;
  if (root.kind == ConfigNode::Kind::map) walk_map(root, "", issues, read, seen);
  for (const FieldSpec& spec : specs_) {
    if (spec.required && std::find(seen.begin(), seen.end(), spec.path) == seen.end())
      issues.push_back({spec.path,
                        {root.origin.source, 0},
                        "required key is missing (expected " + spec.expected() + ")"});
  }
}

void SchemaKeys::walk_map(const ConfigNode& map, const std::string& prefix, ConfigIssues& issues,
                          const std::function<void(std::size_t, const ConfigNode&)>& read,
                          std::vector<std::string>& seen) const {
  for (const auto& [key, node] : map.entries) {
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    if (const FieldSpec* spec = find(path)) {
      for (std::size_t i = 0; i < specs_.size(); ++i)
        if (&specs_[i] == spec) read(i, node);
      seen.push_back(path);
    } else if (is_section(path)) {
      if (node.kind == ConfigNode::Kind::map)
        walk_map(node, path, issues, read, seen);
      else if (node.kind != ConfigNode::Kind::null)
        issues.push_back(
            {path, node.origin,
             "is a section: expected a map of its keys, found " + std::string(node.kind_name())});
    } else {
      const std::string guess = suggest(path);
      issues.push_back({path, node.origin,
                        "unknown key" + (guess.empty() ? "" : " (did you mean '" + guess + "'?)")});
    }
  }
}

ConfigNode SchemaKeys::assemble(const std::function<ConfigNode(std::size_t)>& value_of) const {
  ConfigNode root = ConfigNode::make_map({"default", 0});
  ConfigIssues ignored;  // every path is a declared key: setting it cannot fail
  for (std::size_t i = 0; i < specs_.size(); ++i)
    apply_override(root, {specs_[i].path, value_of(i)}, ignored);
  return root;
}

const FieldSpec* SchemaKeys::find(std::string_view path) const {
  for (const FieldSpec& spec : specs_)
    if (spec.path == path) return &spec;
  return nullptr;
}

bool SchemaKeys::is_section(std::string_view path) const {
  for (const FieldSpec& spec : specs_)
    if (spec.path.size() > path.size() && spec.path.starts_with(path) &&
        spec.path[path.size()] == '.')
      return true;
  return false;
}

std::vector<const FieldSpec*> SchemaKeys::fields() const {
  std::vector<const FieldSpec*> specs;
  for (const FieldSpec& spec : specs_) specs.push_back(&spec);
  return specs;
}

std::string SchemaKeys::suggest(std::string_view unknown) const {
  std::vector<std::string> candidates;
  for (const FieldSpec& spec : specs_) {
    candidates.push_back(spec.path);
    for (auto p = parent(spec.path); !p.empty(); p = parent(p)) candidates.emplace_back(p);
  }
  // 1. The same key name in another section (a key put in the wrong place).
  for (const auto& candidate : candidates)
    if (leaf(candidate) == leaf(unknown) && candidate != unknown) return candidate;
  // 2. A small edit of the whole path (a typo).
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, unknown.size() / 4) + 1;
  for (const auto& candidate : candidates) {
    const std::size_t d = edit_distance(unknown, candidate);
    if (d < best_distance) best = candidate, best_distance = d;
  }
  if (!best.empty()) return best;
  // 3. A sibling whose name contains the unknown one or is contained in it ("lr" -> "base_lr",
  //    "optimiser" -> "optim").
  for (const auto& candidate : candidates) {
    const std::string_view a = leaf(unknown), b = leaf(candidate);
    if (parent(candidate) == parent(unknown) && std::min(a.size(), b.size()) >= 2 &&
        (b.find(a) != std::string_view::npos || a.find(b) != std::string_view::npos))
      return candidate;
  }
  return "";
}

std::optional<std::vector<ConfigNode>> list_items(const FieldSpec& spec, const ConfigNode& node,
                                                  ConfigIssues& issues) {
  std::vector<ConfigNode> items = node.items;
  if (node.kind == ConfigNode::Kind::scalar && !node.quoted) {
    items.clear();
    std::size_t start = 0;
    while (start <= node.scalar.size()) {
      std::size_t comma = node.scalar.find(',', start);
      if (comma == std::string::npos) comma = node.scalar.size();
      std::string part = node.scalar.substr(start, comma - start);
      part.erase(0, part.find_first_not_of(" \t"));
      part.erase(part.find_last_not_of(" \t") + 1);
      ConfigNode item = scalar_node(part);
      item.origin = node.origin;
      items.push_back(item);
      start = comma + 1;
    }
  } else if (node.kind != ConfigNode::Kind::sequence) {
    issues.push_back({spec.path, node.origin,
                      "expected " + spec.expected() + ", found " + std::string(node.kind_name())});
    return std::nullopt;
  }
  if (spec.length && items.size() != *spec.length) {
    issues.push_back({spec.path, node.origin,
                      "expected " + spec.expected() + ", found " + std::to_string(items.size()) +
                          (items.size() == 1 ? " element" : " elements")});
    return std::nullopt;
  }
  return items;
}

}  // namespace pathodino::config
