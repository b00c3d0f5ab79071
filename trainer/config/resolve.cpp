#include "trainer/config/resolve.h"

#include <yaml-cpp/yaml.h>

#include "trainer/config/config_files.h"
#include "trainer/config/cross_checks.h"
#include "trainer/config/experiment_schema.h"

namespace pathodino::config {

ExperimentConfig resolve_config(const std::filesystem::path& file,
                                const std::vector<std::string>& overrides) {
  ConfigIssues issues;
  ConfigNode tree = load_config_tree(file, issues);
  for (const auto& text : overrides) apply_override(tree, parse_override(text, issues), issues);

  const ExperimentSchema schema = make_experiment_schema();
  ExperimentConfig config;
  schema.read(tree, config, issues);
  if (config.run.name.empty()) config.run.name = file.stem().string();
  check_consistency(config, tree, issues);
  if (!issues.empty()) throw ConfigError(std::move(issues));
  return config;
}

std::string to_yaml(const ExperimentConfig& config, bool comments) {
  const ExperimentSchema schema = make_experiment_schema();
  YAML::Emitter out;
  out.SetIndent(2);
  const auto doc_of = [&](const std::string& path) {
    const FieldSpec* spec = comments ? schema.find(path) : nullptr;
    return spec ? spec->doc : std::string();
  };
  emit_yaml(out, schema.write(config), doc_of);
  return std::string(out.c_str()) + "\n";
}

}  // namespace pathodino::config
