// Sweep files: what a grid and a runs list expand to (order, union, values as --set takes them),
// and refusals that name the file and the key. The planning, Slurm array and report are run for
// real in tests/launch/test_sweep.sh.
#include <gtest/gtest.h>

#include <fstream>

#include "scratch_dir.h"
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

std::string refusal(const std::filesystem::path& file) {
  try {
    read_sweep_file(file);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "accepted";
}

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

TEST(SweepFile, RefusalsNameTheFileAndTheKey) {
  ScratchDir dir("sweep_file");
  const auto file = dir.path() / "sweep.yaml";
  EXPECT_EQ(refusal(write(dir.path(), "name: s\ngrid: {optim.base_lr: []}\n")),
            file.string() + ": grid.optim.base_lr: expected a non-empty list of values");
  EXPECT_EQ(
      refusal(write(dir.path(), "name: s\ngird: {optim.base_lr: [1]}\n")),
      file.string() +
          ": gird: unknown key (known: base, name, output_dir, ranks, set, grid, runs, slurm)");
  EXPECT_EQ(refusal(write(dir.path(), "name: s\n")),
            file.string() + ": no runs: give a grid and/or a runs list");
  EXPECT_EQ(refusal(write(dir.path(), "name: a/b\nruns: [{optim.epochs: 1}]\n")),
            file.string() + ": name: 'a/b' is not a folder name (letters, digits, . _ -)");
  EXPECT_EQ(refusal(write(dir.path(), "name:\nruns: [{optim.epochs: 1}]\n")),
            file.string() + ": name: has no value");
  EXPECT_NE(refusal(write(dir.path(),
                          "name: s\nruns: [{optim.epochs: 1}]\n"
                          "slurm: {partition: \"gpu\\nrm -rf ~\"}\n"))
                .find("slurm.partition: control characters"),
            std::string::npos);
  EXPECT_EQ(refusal(write(dir.path(), "name: s\nranks: two\nruns: [{optim.epochs: 1}]\n")),
            file.string() + ": ranks: cannot read 'two'");
  EXPECT_NE(refusal(write(dir.path(), "name: s\nruns: [{optim.epochs: 1}]\nslurm: {gpu: 1}\n"))
                .find("slurm.gpu: unknown key"),
            std::string::npos);
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
