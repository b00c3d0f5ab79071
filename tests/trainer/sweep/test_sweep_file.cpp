// Sweep files: what a grid and a runs list expand to (order, union, values as --set takes them),
// and refusals that name the file and the key. The planning, Slurm array and report are run for
// real in tests/launch/test_sweep.sh.
#include <gtest/gtest.h>

#include <fstream>

#include "scratch_dir.h"
#include "trainer/config/config_issue.h"
#include "trainer/sweep/sweep_file.h"
#include "trainer/sweep/sweep_plan.h"
#include "trainer/sweep/sweep_report.h"

namespace pathodino::sweep {
namespace {

using testing_support::ScratchDir;

std::filesystem::path write(const std::filesystem::path& dir, const std::string& text) {
  const auto file = dir / "sweep.yaml";
  std::ofstream(file) << "base: " << PATHODINO_SOURCE_DIR << "/configs/debug/tiny_cpu.yaml\n"
                      << text;
  return file;
}

// Every issue of a refused sweep file, as "file:line: key: message".
std::vector<std::string> refusal(const std::filesystem::path& file) {
  try {
    read_sweep_file(file);
  } catch (const SweepFileError& e) {
    std::vector<std::string> issues;
    for (const config::ConfigIssue& issue : e.issues()) issues.push_back(issue.describe());
    return issues;
  }
  return {"accepted"};
}

using Issues = std::vector<std::string>;

TEST(SweepFile, GridThenRunsInOrderLastKeyFastest) {
  ScratchDir dir("sweep_file");
  const SweepFile s = read_sweep_file(write(dir.path(), R"(name: s
ranks: 2
set: {optim.epochs: 2}
grid:
  optim.base_lr: [0.001, 0.002]
  ssl.koleo.loss_weight: [0.0, 0.1, 0.2]
runs:
  - {data.mean: [0.5, 0.5, 0.5], model.drop_path_rate: 0.0}
)"));
  EXPECT_EQ(s.ranks, 2);
  EXPECT_EQ(s.common, (Overrides{{"optim.epochs", "2"}}));
  const std::vector<Overrides> runs = expand_runs(s);
  ASSERT_EQ(runs.size(), 7u);
  EXPECT_EQ(runs[0], (Overrides{{"optim.base_lr", "0.001"}, {"ssl.koleo.loss_weight", "0.0"}}));
  EXPECT_EQ(runs[1], (Overrides{{"optim.base_lr", "0.001"}, {"ssl.koleo.loss_weight", "0.1"}}));
  EXPECT_EQ(runs[5], (Overrides{{"optim.base_lr", "0.002"}, {"ssl.koleo.loss_weight", "0.2"}}));
  EXPECT_EQ(runs[6],
            (Overrides{{"data.mean", "[0.5, 0.5, 0.5]"}, {"model.drop_path_rate", "0.0"}}));
  EXPECT_EQ(s.sweep_dir(), std::filesystem::path("runs/sweeps/s"));
}

TEST(SweepFile, RefusalsNameTheFileTheLineAndTheKey) {
  ScratchDir dir("sweep_file");
  const std::string file = (dir.path() / "sweep.yaml").string();
  EXPECT_EQ(refusal(write(dir.path(), "name: s\ngrid: {optim.base_lr: []}\n")),
            Issues{file + ":3: grid.optim.base_lr: expected a non-empty list of values"});
  EXPECT_EQ(refusal(write(dir.path(), "name: s\ngird: {optim.base_lr: [1]}\n")),
            Issues{file + ":3: gird: unknown key (did you mean 'grid'?)"});
  EXPECT_EQ(refusal(write(dir.path(), "name: s\n")),
            Issues{file + ": no runs: give a grid and/or a runs list"});
  EXPECT_EQ(refusal(write(dir.path(), "name: a/b\nruns: [{optim.epochs: 1}]\n")),
            Issues{file + ":2: name: 'a/b' is not a folder name (letters, digits, . _ -)"});
  EXPECT_EQ(refusal(write(dir.path(), "name:\nruns: [{optim.epochs: 1}]\n")),
            Issues{file + ":2: name: expected a string, found nothing (null)"});
  EXPECT_EQ(
      refusal(write(dir.path(),
                    "name: s\nruns: [{optim.epochs: 1}]\n"
                    "slurm: {partition: \"gpu\\nrm -rf ~\"}\n")),
      Issues{file + ":4: slurm.partition: control characters (a line break?) in 'gpu\nrm -rf ~'"});
  EXPECT_EQ(refusal(write(dir.path(), "name: s\nranks: two\nruns: [{optim.epochs: 1}]\n")),
            Issues{file + ":3: ranks: expected an integer >= 1, found 'two'"});
  EXPECT_EQ(refusal(write(dir.path(), "name: s\nruns: [{optim.epochs: 1}]\nslurm: {gpu: 1}\n")),
            Issues{file + ":4: slurm.gpu: unknown key (did you mean 'slurm.gpus_per_task'?)"});
  EXPECT_EQ(refusal(write(dir.path(), "runs: [{optim.epochs: 1}]\n")),
            Issues{file + ": name: required key is missing (expected a string)"});
}

// Override keys are checked against the experiment config's schema when the file is read, each
// with its line and a suggestion, instead of once per planned run.
TEST(SweepFile, OverrideKeysAreExperimentConfigKeys) {
  ScratchDir dir("sweep_file");
  const std::string file = (dir.path() / "sweep.yaml").string();
  EXPECT_EQ(
      refusal(write(dir.path(),
                    "name: s\n"
                    "set: {optim.epocs: 2}\n"
                    "grid:\n"
                    "  optim.bse_lr: [0.1, 0.2]\n"
                    "runs:\n"
                    "  - {model.drop_path_rate: 0.1}\n"
                    "  - {optim: 1}\n"
                    "  - {model.drop_path_rate: }\n")),
      (Issues{file + ":3: set.optim.epocs: not a key of an experiment config (did you mean "
                     "'optim.epochs'?)",
              file + ":5: grid.optim.bse_lr: not a key of an experiment config (did you "
                     "mean 'optim.base_lr'?)",
              file + ":8: runs[1].optim: is a section: expected a map of its keys, found a scalar",
              file + ":9: runs[2].model.drop_path_rate: has no value"}));
  // Nested maps of sections spell the same dotted keys.
  const SweepFile nested = read_sweep_file(
      write(dir.path(),
            "name: s\nset: {optim: {epochs: 2}}\ngrid: {ssl: {koleo: {loss_weight: [0, 1]}}}\n"));
  EXPECT_EQ(nested.common, (Overrides{{"optim.epochs", "2"}}));
  ASSERT_EQ(nested.grid.size(), 1u);
  EXPECT_EQ(nested.grid[0].first, "ssl.koleo.loss_weight");
}

TEST(SweepFile, EveryShippedSweepPlansWithoutARefusedRun) {
  int count = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(PATHODINO_SOURCE_DIR) + "/configs/sweeps")) {
    ++count;
    const SweepPlan plan = plan_sweep(read_sweep_file(entry.path()));  // throws when refused
    EXPECT_GE(plan.runs.size(), 2u) << entry.path();
  }
  EXPECT_GE(count, 1);
}

TEST(SweepReport, TablesQuoteValuesAndLeaveMissingNumbersEmpty) {
  RunOutcome done{"s-00", {{"data.mean", "[0.5, 0.5, 0.5]"}}, "done", 6, 1.5, 1.25, 0.5, 0.75, 4,
                  3,      {{0, 0.25}, {3, 0.75}, {6, 0.5}}};
  RunOutcome pending{"s-01", {{"optim.base_lr", "0.1"}}, "not started"};
  const std::string csv = csv_table({done, pending});
  EXPECT_EQ(csv,
            "run,data.mean,optim.base_lr,status,steps,final_loss,best_loss,best_loss_step,"
            "final_knn_top1,best_knn_top1,best_knn_step\n"
            "s-00,\"[0.5, 0.5, 0.5]\",,done,6,1.5,1.25,4,0.5,0.75,3\n"
            "s-01,,0.1,not started,0,,,,,,\n");
  const std::string md = markdown_table({done, pending});
  EXPECT_NE(md.find("| s-00 | [0.5, 0.5, 0.5] |  | done | 6 | 1.5000 | 1.2500 (4) | 50.00% | "
                    "75.00% (3) |"),
            std::string::npos)
      << md;
}

}  // namespace
}  // namespace pathodino::sweep
