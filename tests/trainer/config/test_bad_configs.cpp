// The corpus in bad/: each file states, in `# expect:` lines, the exact problems a user must see
// (key path, line in that file, words of the message) and nothing else. `# set:` lines are
// --set overrides applied with it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "trainer/config/config_issue.h"
#include "trainer/config/resolve.h"

namespace fs = std::filesystem;
using pathodino::config::ConfigError;
using pathodino::config::ConfigIssue;

namespace {

struct Expectation {
  std::string key;  // "" for file-level problems
  int line = 0;     // 0: not checked
  std::string words;
};

struct Case {
  fs::path file;
  std::vector<std::string> overrides;
  std::vector<Expectation> expected;
};

Case read_case(const fs::path& file) {
  Case c{file, {}, {}};
  std::ifstream in(file);
  const std::regex expect_re(R"(^# expect: (\S+)(?: @(\d+))? : (.+)$)");
  const std::regex set_re(R"(^# set: (.+)$)");
  std::smatch m;
  for (std::string line; std::getline(in, line);) {
    if (std::regex_match(line, m, expect_re))
      c.expected.push_back(
          {m[1] == "-" ? "" : m[1].str(), m[2].matched ? std::stoi(m[2]) : 0, m[3]});
    else if (std::regex_match(line, m, set_re))
      c.overrides.push_back(m[1]);
  }
  return c;
}

bool matches(const ConfigIssue& issue, const Expectation& e, const fs::path& file) {
  if (issue.key != e.key || issue.message.find(e.words) == std::string::npos) return false;
  if (e.line == 0) return true;
  return issue.origin.line == e.line && fs::path(issue.origin.source).filename() == file.filename();
}

std::vector<fs::path> corpus() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(PATHODINO_SOURCE_DIR "/tests/trainer/config/bad"))
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

class BadConfig : public testing::TestWithParam<fs::path> {};

TEST_P(BadConfig, IsRefusedWithExactlyTheExpectedProblems) {
  const Case c = read_case(GetParam());
  ASSERT_FALSE(c.expected.empty()) << GetParam() << " has no '# expect:' line";
  try {
    pathodino::config::resolve_config(c.file, c.overrides);
    FAIL() << c.file << " was accepted";
  } catch (const ConfigError& error) {
    const auto& issues = error.issues();
    for (const auto& e : c.expected) {
      const bool found = std::any_of(issues.begin(), issues.end(),
                                     [&](const auto& issue) { return matches(issue, e, c.file); });
      EXPECT_TRUE(found) << "expected key '" << e.key << "' line " << e.line << " with '" << e.words
                         << "'; got:\n"
                         << error.what();
    }
    EXPECT_EQ(issues.size(), c.expected.size()) << error.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadConfig, testing::ValuesIn(corpus()),
                         [](const auto& info) { return info.param.stem().string(); });

TEST(BadConfigCorpus, HasAtLeastTwentyCases) { EXPECT_GE(corpus().size(), 20u); }

}  // namespace
