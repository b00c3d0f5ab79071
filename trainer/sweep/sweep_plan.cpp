#include "trainer/sweep/sweep_plan.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "trainer/config/config_issue.h"
#include "trainer/config/resolve.h"
#include "trainer/system/durable_file.h"

namespace pathodino::sweep {

SweepPlan plan_sweep(const SweepFile& sweep) {
  SweepPlan plan;
  plan.sweep = sweep;
  plan.dir = std::filesystem::absolute(sweep.sweep_dir()).lexically_normal();
  const std::vector<Overrides> runs = expand_runs(sweep);
  const int width = std::max<int>(2, static_cast<int>(std::to_string(runs.size() - 1).size()));
  std::string refused;
  int refused_count = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    PlannedRun run;
    run.name = fmt::format("{}-{:0{}}", sweep.name, i, width);
    run.overrides = runs[i];
    std::vector<std::string> sets;
    std::string described;
    for (const auto& [key, value] : sweep.common) sets.push_back(key + "=" + value);
    for (const auto& [key, value] : run.overrides) {
      sets.push_back(key + "=" + value);
      described += (described.empty() ? "" : " ") + key + "=" + value;
    }
    sets.push_back("run.name=" + run.name);
    sets.push_back("run.output_dir=" + (plan.dir / "runs").string());
    try {
      run.config_yaml = config::to_yaml(config::resolve_config(sweep.base, sets));
    } catch (const config::ConfigError& e) {
      ++refused_count;
      refused += fmt::format("run {} ({}):\n", run.name, described);
      for (const config::ConfigIssue& issue : e.issues()) refused += "  " + issue.describe() + "\n";
    }
    plan.runs.push_back(std::move(run));
  }
  if (refused_count > 0)
    throw SweepRefused(fmt::format("{}: {} of {} run(s) refused, nothing written:\n{}",
                                   sweep.file.string(), refused_count, runs.size(), refused));
  return plan;
}

void write_sweep_plan(const SweepPlan& plan) {
  nlohmann::ordered_json j;
  j["name"] = plan.sweep.name;
  j["sweep_file"] = std::filesystem::absolute(plan.sweep.file).string();
  j["base"] = std::filesystem::absolute(plan.sweep.base).string();
  j["ranks"] = plan.sweep.ranks;
  j["runs"] = nlohmann::ordered_json::array();
  for (const PlannedRun& run : plan.runs) {
    nlohmann::ordered_json overrides = nlohmann::ordered_json::object();
    for (const auto& [key, value] : run.overrides) overrides[key] = value;
    j["runs"].push_back({{"name", run.name}, {"overrides", overrides}});
    std::filesystem::create_directories(plan.config_file(run).parent_path());
    system::write_file_durably(plan.config_file(run), run.config_yaml);
  }
  system::write_file_durably(plan.dir / "plan.json", j.dump(2) + "\n");
}

SweepPlan read_sweep_plan(const std::filesystem::path& dir) {
  const std::filesystem::path file = dir / "plan.json";
  std::ifstream in(file);
  if (!in)
    throw std::runtime_error(file.string() + ": no sweep plan here (run `pathodino sweep plan`)");
  SweepPlan plan;
  try {
    const nlohmann::ordered_json j = nlohmann::ordered_json::parse(in);
    plan.dir = std::filesystem::absolute(dir);
    plan.sweep.name = j.at("name").get<std::string>();
    plan.sweep.file = j.at("sweep_file").get<std::string>();
    plan.sweep.base = j.at("base").get<std::string>();
    plan.sweep.ranks = j.at("ranks").get<int64_t>();
    for (const auto& r : j.at("runs")) {
      PlannedRun run;
      run.name = r.at("name").get<std::string>();
      for (const auto& [key, value] : r.at("overrides").items())
        run.overrides.emplace_back(key, value.get<std::string>());
      plan.runs.push_back(std::move(run));
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(file.string() + ": not a sweep plan: " + e.what());
  }
  return plan;
}

}  // namespace pathodino::sweep
