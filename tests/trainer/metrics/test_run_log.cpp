// A run's metrics.jsonl read back as curves (RunLog): a resumed run's re-logged steps replace the
// first ones, keys with a prefix are found, values that are not numbers are left out, a missing
// file is refused by name and lines that are no record are skipped, counted and the first named.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "trainer/metrics/run_log.h"

namespace pathodino::metrics {
namespace {

class RunLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("run_log_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(const std::string& text) {
    const auto file = dir_ / "metrics.jsonl";
    std::ofstream(file) << text;
    return file;
  }
  std::filesystem::path dir_;
};

TEST_F(RunLogTest, LaterRecordsOfAStepWinAndCurvesStayInStepOrder) {
  // Steps 0-2, then a resume from step 1 that logs 1-3 again with other values.
  const RunLog log = read_run_log(write(
      "{\"step\":0,\"loss\":4.0,\"lr\":0.0}\n{\"step\":1,\"loss\":3.0}\n{\"step\":2,\"loss\":2.5}\n"
      "\n{\"step\":1,\"loss\":3.5}\n{\"step\":2,\"loss\":2.0,\"knn_top1\":0.5}\n"
      "{\"step\":3,\"loss\":1.0}\n"));
  EXPECT_EQ(log.records, 6);
  EXPECT_EQ(log.last_step, 3);
  EXPECT_EQ(log.curve("loss"), (Curve{{0, 4.0}, {1, 3.5}, {2, 2.0}, {3, 1.0}}));
  EXPECT_EQ(log.curve("knn_top1"), (Curve{{2, 0.5}}));
  EXPECT_EQ(log.last("loss"), 1.0);
  EXPECT_FALSE(log.last("missing").has_value());
  EXPECT_TRUE(log.curve("missing").empty());
}

TEST_F(RunLogTest, FindsKeysByPrefixAndLeavesOutValuesThatAreNoNumbers) {
  const RunLog log = read_run_log(write(
      "{\"step\":0,\"knn_balanced\":0.6,\"knn_balanced.site_b\":0.4,"
      "\"knn_balanced.site_a\":0.8,\"knn_balancedx\":1,\"grad_norm\":null,\"note\":\"a\"}\n"));
  EXPECT_EQ(log.suffixes("knn_balanced."), (std::vector<std::string>{"site_a", "site_b"}));
  EXPECT_TRUE(log.curve("grad_norm").empty());  // a non-finite value is logged as null
  EXPECT_TRUE(log.curve("note").empty());
  EXPECT_EQ(log.last("knn_balancedx"), 1.0);
}

TEST_F(RunLogTest, RefusesAMissingFileAndSkipsBadLinesNamingTheFirst) {
  const auto missing = dir_ / "none.jsonl";
  try {
    read_run_log(missing);
    FAIL() << "a missing log was read";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(missing.string()), std::string::npos) << e.what();
  }
  for (const char* bad : {"{\"step\": oops\n", "{\"loss\":1}\n", "[1,2]\n", "{\"step\":1.5}\n"}) {
    const auto file =
        write(std::string("{\"step\":0,\"loss\":2}\n") + bad + "{\"step\":2,\"loss\":1}\n" + bad);
    const RunLog log = read_run_log(file);
    EXPECT_EQ(log.records, 2) << bad;
    EXPECT_EQ(log.unreadable, 2) << bad;
    EXPECT_EQ(log.first_unreadable, file.string() + ":2") << bad;
    EXPECT_EQ(log.curve("loss"), (Curve{{0, 2.0}, {2, 1.0}})) << bad;
  }
}

}  // namespace
}  // namespace pathodino::metrics
