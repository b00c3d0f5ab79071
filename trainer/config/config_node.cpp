#include "trainer/config/config_node.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

namespace pathodino::config {
namespace {

ConfigNode from_yaml(const YAML::Node& node, const std::string& source, ConfigIssues& issues,
                     const std::string& path) {
  ConfigNode out;
  out.origin = {source, node.Mark().line + 1};
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      out.kind = ConfigNode::Kind::null;
      break;
    case YAML::NodeType::Scalar:
      out.kind = ConfigNode::Kind::scalar;
      out.scalar = node.Scalar();
      out.quoted = node.Tag() == "!";  // yaml-cpp tags quoted (non-plain) scalars with "!"
      break;
    case YAML::NodeType::Sequence:
      out.kind = ConfigNode::Kind::sequence;
      for (std::size_t i = 0; i < node.size(); ++i)
        out.items.push_back(
            from_yaml(node[i], source, issues, path + "[" + std::to_string(i) + "]"));
      break;
    case YAML::NodeType::Map:
      out.kind = ConfigNode::Kind::map;
      for (const auto& kv : node) {
        const std::string key = kv.first.as<std::string>();
        const std::string child_path = path.empty() ? key : path + "." + key;
        if (out.find(key)) {
          issues.push_back({child_path,
                            {source, kv.first.Mark().line + 1},
                            "duplicate key (already set earlier in this map)"});
          continue;
        }
        ConfigNode child = from_yaml(kv.second, source, issues, child_path);
        // A value is located at its key: a map's own mark is its first key, an empty value has
        // none.
        child.origin.line = kv.first.Mark().line + 1;
        out.entries.emplace_back(key, std::move(child));
      }
      break;
  }
  return out;
}

}  // namespace

ConfigNode ConfigNode::make_map(Origin origin) {
  ConfigNode node;
  node.kind = Kind::map;
  node.origin = std::move(origin);
  return node;
}

const ConfigNode* ConfigNode::find(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}

ConfigNode* ConfigNode::find(std::string_view key) {
  return const_cast<ConfigNode*>(std::as_const(*this).find(key));
}

const ConfigNode* ConfigNode::find_path(std::string_view dotted) const {
  const ConfigNode* node = this;
  while (node) {
    const auto dot = dotted.find('.');
    if (node->kind != Kind::map) return nullptr;
    node = node->find(dotted.substr(0, dot));
    if (dot == std::string_view::npos) return node;
    dotted.remove_prefix(dot + 1);
  }
  return nullptr;
}

void ConfigNode::erase(std::string_view key) {
  std::erase_if(entries, [&](const auto& entry) { return entry.first == key; });
}

std::string_view ConfigNode::kind_name() const {
  switch (kind) {
    case Kind::null:
      return "nothing (null)";
    case Kind::scalar:
      return "a scalar";
    case Kind::sequence:
      return "a list";
    case Kind::map:
      return "a map";
  }
  return "?";
}

void merge_into(ConfigNode& base, const ConfigNode& top) {
  if (base.kind != ConfigNode::Kind::map || top.kind != ConfigNode::Kind::map) {
    base = top;
    return;
  }
  for (const auto& [key, value] : top.entries) {
    if (ConfigNode* existing = base.find(key))
      merge_into(*existing, value);
    else
      base.entries.emplace_back(key, value);
  }
}

ConfigNode parse_yaml(const std::string& text, const std::string& source, ConfigIssues& issues) {
  try {
    return from_yaml(YAML::Load(text), source, issues, "");
  } catch (const YAML::Exception& e) {
    issues.push_back({"", {source, e.mark.line + 1}, "malformed YAML: " + e.msg});
    return {};
  }
}

ConfigNode load_yaml_file(const std::filesystem::path& path, const Origin& requested_by,
                          ConfigIssues& issues) {
  std::ifstream in(path);
  if (!in) {
    issues.push_back({"", requested_by, "cannot read config file '" + path.string() + "'"});
    return {};
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse_yaml(text.str(), path.string(), issues);
}

void emit_yaml(YAML::Emitter& out, const ConfigNode& node,
               const std::function<std::string(const std::string&)>& comment_of,
               const std::string& path) {
  switch (node.kind) {
    case ConfigNode::Kind::null:
      out << YAML::Null;
      break;
    case ConfigNode::Kind::scalar:
      if (node.quoted) out << YAML::DoubleQuoted;
      out << node.scalar;
      break;
    case ConfigNode::Kind::sequence:
      out << YAML::Flow << YAML::BeginSeq;
      for (const auto& item : node.items) emit_yaml(out, item, {}, path);
      out << YAML::EndSeq;
      break;
    case ConfigNode::Kind::map:
      out << YAML::BeginMap;
      for (const auto& [key, value] : node.entries) {
        const std::string child = path.empty() ? key : path + "." + key;
        out << YAML::Key << key << YAML::Value;
        emit_yaml(out, value, comment_of, child);
        const std::string comment = comment_of ? comment_of(child) : "";
        if (!comment.empty()) out << YAML::Comment(comment);
      }
      out << YAML::EndMap;
      break;
  }
}

}  // namespace pathodino::config
