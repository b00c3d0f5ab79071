#include "trainer/config/resolve.h"

#include <yaml-cpp/yaml.h>

#include "trainer/config/config_files.h"
#include "trainer/config/cross_checks.h"
#include "trainer/config/schema.h"

namespace pathodino::config {
namespace {

void emit(YAML::Emitter& out, const ConfigNode& node, const Schema& schema, const std::string& path,
          bool comments) {
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
      for (const auto& item : node.items) emit(out, item, schema, path, false);
      out << YAML::EndSeq;
      break;
    case ConfigNode::Kind::map:
      out << YAML::BeginMap;
      for (const auto& [key, value] : node.entries) {
        const std::string child = path.empty() ? key : path + "." + key;
        out << YAML::Key << key << YAML::Value;
        emit(out, value, schema, child, comments);
        if (const FieldSpec* spec = comments ? schema.find(child) : nullptr)
          out << YAML::Comment(spec->doc);
      }
      out << YAML::EndMap;
      break;
  }
}

}  // namespace

ExperimentConfig resolve_config(const std::filesystem::path& file,
                                const std::vector<std::string>& overrides) {
  ConfigIssues issues;
  ConfigNode tree = load_config_tree(file, issues);
  for (const auto& text : overrides) apply_override(tree, parse_override(text, issues), issues);

  const Schema schema = make_experiment_schema();
  ExperimentConfig config;
  schema.read(tree, config, issues);
  if (config.run.name.empty()) config.run.name = file.stem().string();
  check_consistency(config, tree, issues);
  if (!issues.empty()) throw ConfigError(std::move(issues));
  return config;
}

std::string to_yaml(const ExperimentConfig& config, bool comments) {
  const Schema schema = make_experiment_schema();
  YAML::Emitter out;
  out.SetIndent(2);
  emit(out, schema.write(config), schema, "", comments);
  return std::string(out.c_str()) + "\n";
}

}  // namespace pathodino::config
