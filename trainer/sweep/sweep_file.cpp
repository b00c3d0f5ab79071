#include "trainer/sweep/sweep_file.h"

#include <algorithm>
#include <cctype>
#include <functional>

#include "trainer/config/config_files.h"
#include "trainer/config/experiment_schema.h"
#include "trainer/config/schema.h"

namespace pathodino::sweep {
namespace {

using config::ConfigIssues;
using config::ConfigNode;

// The sweep file as written, before its paths are resolved and its overrides flattened.
struct SweepKeys {
  std::string base, name, output_dir = "runs/sweeps";
  int64_t ranks = 1;
  ConfigNode set, grid, runs;
  SlurmRequest slurm;
};

// SWEEP_KEY(slurm.time, "doc") declares key "slurm.time" bound to SweepKeys::slurm.time.
#define SWEEP_KEY(member, doc) \
  schema.field(                \
      #member, doc, [](SweepKeys & k) -> auto& { return k.member; })

config::Schema<SweepKeys> sweep_schema() {
  config::Schema<SweepKeys> schema;
  SWEEP_KEY(base, "the experiment config the runs start from, relative to the sweep file")
      .is_required();
  SWEEP_KEY(name, "the sweep's folder under output_dir; prefixes every run's name").is_required();
  SWEEP_KEY(output_dir, "where sweep folders go, relative to the working directory");
  SWEEP_KEY(ranks, "MPI ranks of each run").at_least(1);
  SWEEP_KEY(set, "overrides of every run: a map of KEY: VALUE");
  SWEEP_KEY(grid, "a map of KEY: [VALUE, ...]: one run per combination");
  SWEEP_KEY(runs, "a list of runs, each a map of KEY: VALUE");
  SWEEP_KEY(slurm.partition, "sbatch --partition");
  SWEEP_KEY(slurm.time, "sbatch --time");
  SWEEP_KEY(slurm.account, "sbatch --account");
  SWEEP_KEY(slurm.cpus_per_task, "sbatch --cpus-per-task").at_least(1);
  SWEEP_KEY(slurm.gpus_per_task, "sbatch --gpus-per-task").at_least(0);
  SWEEP_KEY(slurm.extra, "further sbatch options, verbatim");
  return schema;
}

#undef SWEEP_KEY

// The scalar at `key` of the file, when there is one (checks of a value the schema could not
// read would only repeat its issue).
const ConfigNode* scalar_at(const ConfigNode& root, std::string_view key) {
  const ConfigNode* node = root.find_path(key);
  return node && node->kind == ConfigNode::Kind::scalar ? node : nullptr;
}

// base, name and output_dir: where the runs come from and go.
void check_place(SweepFile& s, const ConfigNode& root, ConfigIssues& issues) {
  if (const ConfigNode* base = scalar_at(root, "base"); base && !std::filesystem::exists(s.base))
    issues.push_back({"base", base->origin, "no such file: " + s.base.string()});
  // The name prefixes every run.name, so it has run.name's alphabet (and is safe in sbatch lines).
  const bool bad_name = std::any_of(s.name.begin(), s.name.end(), [](unsigned char c) {
    return !(std::isalnum(c) || c == '_' || c == '-' || c == '.');
  });
  if (const ConfigNode* name = scalar_at(root, "name");
      name && (s.name.empty() || bad_name || s.name == "." || s.name == ".."))
    issues.push_back(
        {"name", name->origin, "'" + s.name + "' is not a folder name (letters, digits, . _ -)"});
  const std::string dir = std::filesystem::absolute(s.output_dir).string();
  if (const ConfigNode* node = scalar_at(root, "output_dir");
      node && dir.find_first_of(" \t\n%'\"") != std::string::npos)  // it goes into #SBATCH --output
    issues.push_back({"output_dir", node->origin,
                      "'" + dir + "' has a space, a quote or a %: choose another folder"});
}

// Each value becomes one `#SBATCH` line of the job script: a line break would start another.
void check_slurm(const SlurmRequest& slurm, const ConfigNode& root, ConfigIssues& issues) {
  std::vector<std::pair<std::string, std::string>> lines{{"slurm.partition", slurm.partition},
                                                         {"slurm.time", slurm.time},
                                                         {"slurm.account", slurm.account}};
  for (const std::string& option : slurm.extra) lines.emplace_back("slurm.extra", option);
  for (const auto& [key, value] : lines) {
    if (std::none_of(value.begin(), value.end(), [](unsigned char c) { return c < 0x20; }))
      continue;
    const ConfigNode* node = root.find_path(key);
    issues.push_back({key, node ? node->origin : root.origin,
                      "control characters (a line break?) in '" + value + "'"});
  }
}

// Calls leaf(key, node) for every experiment-config key of the override map `node`; nested maps
// of sections spell dotted keys. Keys the experiment schema does not know are issues at `where`.
void for_each_key(const config::ExperimentSchema& keys, const ConfigNode& node,
                  const std::string& where, const std::string& prefix, ConfigIssues& issues,
                  const std::function<void(const std::string&, const ConfigNode&)>& leaf) {
  for (const auto& [part, value] : node.entries) {
    const std::string key = prefix.empty() ? part : prefix + "." + part;
    if (keys.find(key)) {
      leaf(key, value);
    } else if (keys.is_section(key) && value.kind == ConfigNode::Kind::map) {
      for_each_key(keys, value, where, key, issues, leaf);
    } else if (keys.is_section(key)) {
      issues.push_back(
          {where + "." + key, value.origin,
           "is a section: expected a map of its keys, found " + std::string(value.kind_name())});
    } else {
      const std::string guess = keys.suggest(key);
      issues.push_back({where + "." + key, value.origin,
                        "not a key of an experiment config" +
                            (guess.empty() ? "" : " (did you mean '" + guess + "'?)")});
    }
  }
}

Overrides read_overrides(const config::ExperimentSchema& keys, const ConfigNode& node,
                         const std::string& where, ConfigIssues& issues) {
  Overrides overrides;
  if (node.kind != ConfigNode::Kind::map) {
    issues.push_back(
        {where, node.origin,
         "expected a map of KEY: VALUE overrides, found " + std::string(node.kind_name())});
    return overrides;
  }
  for_each_key(keys, node, where, "", issues, [&](const std::string& key, const ConfigNode& v) {
    if (v.kind == ConfigNode::Kind::null)
      issues.push_back({where + "." + key, v.origin, "has no value"});
    else
      overrides.emplace_back(key, config::override_text(v));
  });
  return overrides;
}

// set, grid and runs: the overrides of each run.
void read_runs(SweepFile& s, const SweepKeys& written, ConfigIssues& issues) {
  const config::ExperimentSchema keys = config::make_experiment_schema();
  if (written.set.kind != ConfigNode::Kind::null)
    s.common = read_overrides(keys, written.set, "set", issues);
  if (written.grid.kind == ConfigNode::Kind::map) {
    for_each_key(
        keys, written.grid, "grid", "", issues,
        [&](const std::string& key, const ConfigNode& values) {
          if (values.kind != ConfigNode::Kind::sequence || values.items.empty()) {
            issues.push_back({"grid." + key, values.origin, "expected a non-empty list of values"});
            return;
          }
          std::vector<std::string> texts;
          for (const ConfigNode& v : values.items) texts.push_back(config::override_text(v));
          s.grid.emplace_back(key, std::move(texts));
        });
  } else if (written.grid.kind != ConfigNode::Kind::null) {
    issues.push_back({"grid", written.grid.origin, "expected a map of KEY: [VALUE, ...]"});
  }
  if (written.runs.kind == ConfigNode::Kind::sequence) {
    for (size_t i = 0; i < written.runs.items.size(); ++i)
      s.runs.push_back(
          read_overrides(keys, written.runs.items[i], "runs[" + std::to_string(i) + "]", issues));
  } else if (written.runs.kind != ConfigNode::Kind::null) {
    issues.push_back({"runs", written.runs.origin, "expected a list of override maps"});
  }
}

}  // namespace

SweepFile read_sweep_file(const std::filesystem::path& file) {
  SweepFile s;
  s.file = file;
  ConfigIssues issues;
  const ConfigNode root = config::load_yaml_file(file, {file.string(), 0}, issues);
  if (issues.empty() && root.kind != ConfigNode::Kind::map)
    issues.push_back({"", root.origin, "expected a map (base, name, grid and/or runs, ...)"});
  if (!issues.empty()) throw SweepFileError(std::move(issues));
  SweepKeys written;
  sweep_schema().read(root, written, issues);
  s.base = file.parent_path() / written.base;
  s.name = written.name;
  s.output_dir = written.output_dir;
  s.ranks = written.ranks;
  s.slurm = written.slurm;
  check_place(s, root, issues);
  check_slurm(s.slurm, root, issues);
  read_runs(s, written, issues);
  if (issues.empty() && s.grid.empty() && s.runs.empty())
    issues.push_back({"", {file.string(), 0}, "no runs: give a grid and/or a runs list"});
  if (!issues.empty()) throw SweepFileError(std::move(issues));
  return s;
}

std::vector<Overrides> expand_runs(const SweepFile& sweep) {
  std::vector<Overrides> runs;
  if (!sweep.grid.empty()) {
    std::vector<size_t> at(sweep.grid.size(), 0);
    while (true) {
      Overrides point;
      for (size_t k = 0; k < sweep.grid.size(); ++k)
        point.emplace_back(sweep.grid[k].first, sweep.grid[k].second[at[k]]);
      runs.push_back(std::move(point));
      size_t k = sweep.grid.size();
      while (k > 0 && ++at[k - 1] == sweep.grid[k - 1].second.size()) at[--k] = 0;
      if (k == 0) break;
    }
  }
  for (const Overrides& run : sweep.runs) runs.push_back(run);
  return runs;
}

}  // namespace pathodino::sweep
