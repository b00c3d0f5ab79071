// The tamper-evident audit log: appended records verify; an edited record, two records swapped, a
// record removed from the middle, records cut from the end, a partial last line and a missing
// head are each found and named by line, record and event; appending to a log that does not end
// where its head says is refused; a crash's traces are repaired before a trail verifies, an edit
// is not; two processes appending at once keep one chain.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "trainer/audit/audit_log.h"
#include "trainer/audit/audit_trail.h"
#include "trainer/audit/audit_verify.h"

namespace pathodino::audit {
namespace {

namespace fs = std::filesystem;

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("audit_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    log_ = dir_ / "audit.jsonl";
  }
  void TearDown() override { fs::remove_all(dir_); }

  void append_steps(int n) {
    AuditLog log(log_);
    for (int i = 0; i < n; ++i)
      log.append("checkpoint_save", {{{"checkpoint", "step-" + std::to_string(i)}}, {{"step", i}}});
  }
  std::vector<std::string> lines() const {
    std::ifstream in(log_);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
  void write_lines(const std::vector<std::string>& rows, bool final_newline = true) const {
    std::ofstream out(log_, std::ios::trunc);
    for (size_t i = 0; i < rows.size(); ++i)
      out << rows[i] << (i + 1 < rows.size() || final_newline ? "\n" : "");
  }
  void expect_fault(const std::string& where, const std::string& what) const {
    const AuditVerdict v = verify_audit_log(log_);
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.problem.find(where), std::string::npos) << v.problem;
    EXPECT_NE(v.problem.find(what), std::string::npos) << v.problem;
  }

  fs::path dir_, log_;
};

TEST_F(AuditLogTest, AppendedRecordsChainAndVerify) {
  append_steps(4);
  const AuditVerdict v = verify_audit_log(log_);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.records, 4);
  std::string prev(64, '0');
  int64_t seq = 0;
  for (const std::string& line : lines()) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["seq"], seq++);
    EXPECT_EQ(j["prev"], prev);
    EXPECT_EQ(j["event"], "checkpoint_save");
    for (const char* key : {"time", "user", "host", "pid", "checkpoint", "step"})
      EXPECT_TRUE(j.contains(key)) << key;
    prev = j["hash"];
  }
  EXPECT_EQ(v.head, prev);
}

TEST_F(AuditLogTest, AnEditedRecordIsNamed) {
  append_steps(4);
  auto rows = lines();
  rows[2].replace(rows[2].find("\"step\":2"), 8, "\"step\":7");
  write_lines(rows);
  expect_fault("line 3 (record 2, checkpoint_save)", "does not match its hash: edited");
}

TEST_F(AuditLogTest, SwappedRemovedAndCutRecordsAreNamed) {
  append_steps(5);
  const auto rows = lines();
  write_lines({rows[0], rows[2], rows[1], rows[3], rows[4]});
  expect_fault("line 2 (record 2,", "record 2 where 1 was expected");
  write_lines({rows[0], rows[1], rows[3], rows[4]});
  expect_fault("line 3 (record 3,", "removed");
  write_lines({rows[0], rows[1], rows[2]});
  expect_fault(".head says the log has 5 records", "cut from its end");
  write_lines({rows[0], rows[1], rows[2], rows[3], rows[4].substr(0, 40)}, false);
  expect_fault("line 5", "partial record");
  write_lines(rows);
  EXPECT_TRUE(verify_audit_log(log_).ok);
  fs::remove(head_file(log_));
  expect_fault("no head file", "cannot be checked");
}

TEST_F(AuditLogTest, AppendingToATamperedLogIsRefused) {
  append_steps(3);
  const auto rows = lines();
  write_lines({rows[0], rows[1]});
  try {
    AuditLog(log_).append("run_end");
    FAIL() << "appended to a log cut short";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(log_.string() + ": does not end where its head says"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(AuditLog(dir_ / "other.jsonl").append("x", {{{"hash", "forged"}}, {}}),
               std::invalid_argument);
}

// Note [Interrupted appends]: the traces a killed append leaves are repaired, and said so.
TEST_F(AuditLogTest, AnInterruptedAppendIsRecoveredAndRecorded) {
  append_steps(2);
  const std::string head_before = [&] {
    std::ifstream in(head_file(log_));
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }();
  append_steps(1);
  std::ofstream(head_file(log_), std::ios::trunc) << head_before;  // killed before the head
  AuditVerdict v = verify_audit_log(log_);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_NE(v.note.find("one record behind"), std::string::npos) << v.note;
  std::ofstream(log_, std::ios::app) << "{\"seq\":3,\"ti";  // killed during the write
  expect_fault("line 4", "partial record");
  AuditLog(log_).append("run_end");
  v = verify_audit_log(log_);
  EXPECT_TRUE(v.ok && v.note.empty()) << v.problem << v.note;
  EXPECT_EQ(v.records, 5);
  const auto rows = lines();
  const auto recovered = nlohmann::json::parse(rows[3]);
  EXPECT_EQ(recovered["event"], "audit_recovered");
  const std::string reason = recovered["reason"];
  EXPECT_NE(reason.find("one record behind"), std::string::npos) << reason;
  EXPECT_NE(reason.find("12 byte(s) of an interrupted record cut"), std::string::npos) << reason;
  EXPECT_EQ(nlohmann::json::parse(rows[4])["event"], "run_end");
}

TEST_F(AuditLogTest, ATrailRepairsACrashsTracesBeforeItVerifiesAndRefusesAnEdit) {
  append_steps(2);
  std::ofstream(log_, std::ios::app) << "{\"seq\":2";  // a write cut short by a full disk
  AuditTrail trail(log_, {});
  EXPECT_NO_THROW(trail.verify());
  EXPECT_TRUE(verify_audit_log(log_).ok);
  EXPECT_EQ(nlohmann::json::parse(lines()[2])["event"], "audit_recovered");
  auto rows = lines();
  rows[0].replace(rows[0].find("\"step\":0"), 8, "\"step\":9");
  write_lines(rows);
  try {
    AuditTrail(log_, {}).record("run_start");
    FAIL() << "appended to an edited log";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("line 1 (record 0, checkpoint_save)"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(lines().size(), 3u);
}

TEST_F(AuditLogTest, TwoProcessesAppendingAtOnceKeepOneChain) {
  std::vector<pid_t> children;
  for (int c = 0; c < 2; ++c) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      AuditLog log(log_);
      for (int i = 0; i < 40; ++i) log.append("eval knn", {{}, {{"writer", c}, {"i", i}}});
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  const AuditVerdict v = verify_audit_log(log_);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.records, 80);
}

}  // namespace
}  // namespace pathodino::audit
