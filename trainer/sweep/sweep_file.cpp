#include "trainer/sweep/sweep_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <stdexcept>

namespace pathodino::sweep {
namespace {

[[noreturn]] void refuse(const SweepFile& s, const std::string& key, const std::string& what) {
  throw SweepFileError(s.file.string() + ": " + (key.empty() ? "" : key + ": ") + what);
}

// A value as `--set KEY=VALUE` takes it: scalars verbatim, lists and maps as flow YAML.
std::string override_value(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

Overrides read_overrides(const SweepFile& s, const YAML::Node& node, const std::string& where) {
  if (!node.IsMap()) refuse(s, where, "expected a map of KEY: VALUE overrides");
  Overrides overrides;
  for (const auto& entry : node) {
    if (entry.second.IsNull()) refuse(s, where + "." + entry.first.Scalar(), "has no value");
    overrides.emplace_back(entry.first.Scalar(), override_value(entry.second));
  }
  return overrides;
}

template <typename T>
T scalar(const SweepFile& s, const YAML::Node& node, const std::string& key) {
  if (node.IsNull()) refuse(s, key, "has no value");
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    refuse(s, key, "cannot read '" + (node.IsScalar() ? node.Scalar() : "(not a scalar)") + "'");
  }
}

YAML::Node load_root(const SweepFile& s) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(s.file.string());
  } catch (const YAML::BadFile&) {
    refuse(s, "", "cannot read the sweep file");
  } catch (const YAML::Exception& e) {
    refuse(s, "", "not YAML: " + std::string(e.what()));
  }
  if (!root.IsMap()) refuse(s, "", "expected a map (base, name, grid and/or runs, ...)");
  static const std::set<std::string> known{"base", "name", "output_dir", "ranks",
                                           "set",  "grid", "runs",       "slurm"};
  for (const auto& entry : root)
    if (!known.contains(entry.first.Scalar()))
      refuse(s, entry.first.Scalar(),
             "unknown key (known: base, name, output_dir, ranks, set, grid, runs, slurm)");
  return root;
}

// base, name, output_dir and ranks: where the runs come from and go.
void read_place(SweepFile& s, const YAML::Node& root) {
  if (!root["base"]) refuse(s, "base", "missing: the experiment config the runs start from");
  if (!root["name"]) refuse(s, "name", "missing: names the sweep's folder");
  s.base = s.file.parent_path() / scalar<std::string>(s, root["base"], "base");
  if (!std::filesystem::exists(s.base)) refuse(s, "base", "no such file: " + s.base.string());
  s.name = scalar<std::string>(s, root["name"], "name");
  // The name prefixes every run.name, so it has run.name's alphabet (and is safe in sbatch lines).
  const bool bad_name = std::any_of(s.name.begin(), s.name.end(), [](unsigned char c) {
    return !(std::isalnum(c) || c == '_' || c == '-' || c == '.');
  });
  if (s.name.empty() || bad_name || s.name == "." || s.name == "..")
    refuse(s, "name", "'" + s.name + "' is not a folder name (letters, digits, . _ -)");
  if (root["output_dir"]) s.output_dir = scalar<std::string>(s, root["output_dir"], "output_dir");
  const std::string dir = std::filesystem::absolute(s.output_dir).string();
  if (dir.find_first_of(" \t\n%'\"") != std::string::npos)  // it goes into #SBATCH --output
    refuse(s, "output_dir", "'" + dir + "' has a space, a quote or a %: choose another folder");
  if (root["ranks"]) s.ranks = scalar<int64_t>(s, root["ranks"], "ranks");
  if (s.ranks < 1) refuse(s, "ranks", "must be at least 1");
}

// set, grid and runs: the overrides of each run.
void read_runs(SweepFile& s, const YAML::Node& root) {
  if (root["set"]) s.common = read_overrides(s, root["set"], "set");
  if (const YAML::Node grid = root["grid"]) {
    if (!grid.IsMap()) refuse(s, "grid", "expected a map of KEY: [VALUE, ...]");
    for (const auto& entry : grid) {
      const std::string key = "grid." + entry.first.Scalar();
      if (!entry.second.IsSequence() || entry.second.size() == 0)
        refuse(s, key, "expected a non-empty list of values");
      std::vector<std::string> values;
      for (const auto& v : entry.second) values.push_back(override_value(v));
      s.grid.emplace_back(entry.first.Scalar(), std::move(values));
    }
  }
  if (const YAML::Node runs = root["runs"]) {
    if (!runs.IsSequence()) refuse(s, "runs", "expected a list of override maps");
    for (size_t i = 0; i < runs.size(); ++i)
      s.runs.push_back(read_overrides(s, runs[i], "runs[" + std::to_string(i) + "]"));
  }
  if (s.grid.empty() && s.runs.empty()) refuse(s, "", "no runs: give a grid and/or a runs list");
}

void read_slurm_key(SweepFile& s, const std::string& key, const YAML::Node& value) {
  const std::string where = "slurm." + key;
  SlurmRequest& slurm = s.slurm;
  if (key == "partition")
    slurm.partition = scalar<std::string>(s, value, where);
  else if (key == "time")
    slurm.time = scalar<std::string>(s, value, where);
  else if (key == "account")
    slurm.account = scalar<std::string>(s, value, where);
  else if (key == "cpus_per_task")
    slurm.cpus_per_task = scalar<int64_t>(s, value, where);
  else if (key == "gpus_per_task")
    slurm.gpus_per_task = scalar<int64_t>(s, value, where);
  else if (key == "extra")
    slurm.extra = scalar<std::vector<std::string>>(s, value, where);
  else
    refuse(s, where,
           "unknown key (known: partition, time, account, cpus_per_task, gpus_per_task, extra)");
}

void read_slurm(SweepFile& s, const YAML::Node& slurm) {
  if (!slurm.IsMap()) refuse(s, "slurm", "expected a map");
  for (const auto& entry : slurm) read_slurm_key(s, entry.first.Scalar(), entry.second);
  if (s.slurm.cpus_per_task < 1) refuse(s, "slurm.cpus_per_task", "must be at least 1");
  // Each value becomes one `#SBATCH` line of the job script: a line break would start another.
  std::vector<std::pair<std::string, std::string>> lines{{"slurm.partition", s.slurm.partition},
                                                         {"slurm.time", s.slurm.time},
                                                         {"slurm.account", s.slurm.account}};
  for (const std::string& option : s.slurm.extra) lines.emplace_back("slurm.extra", option);
  for (const auto& [key, value] : lines)
    if (std::any_of(value.begin(), value.end(), [](unsigned char c) { return c < 0x20; }))
      refuse(s, key, "control characters (a line break?) in '" + value + "'");
  if (s.slurm.gpus_per_task < 0) refuse(s, "slurm.gpus_per_task", "must not be negative");
}

}  // namespace

SweepFile read_sweep_file(const std::filesystem::path& file) {
  SweepFile s;
  s.file = file;
  const YAML::Node root = load_root(s);
  read_place(s, root);
  read_runs(s, root);
  if (const YAML::Node slurm = root["slurm"]) read_slurm(s, slurm);
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
