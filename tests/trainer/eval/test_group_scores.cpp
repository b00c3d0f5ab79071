// Scores per group on hand-built predictions with known answers: top-1 and balanced accuracy
// overall and per group, the worst group and the spread; no breakdown without groups.
#include <gtest/gtest.h>

#include <stdexcept>

#include "trainer/eval/group_scores.h"

namespace pathodino::eval {
namespace {

TEST(GroupScores, BalancedAccuracyWeighsEveryClassAlike) {
  // 8 of class 0, all right; 2 of class 1, both wrong: top-1 0.8, balanced (1 + 0) / 2.
  const Accuracy a = accuracy({0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0, 0, 0, 1, 1});
  EXPECT_EQ(a.count, 10);
  EXPECT_DOUBLE_EQ(a.top1, 0.8);
  EXPECT_DOUBLE_EQ(a.balanced, 0.5);
}

TEST(GroupScores, EachGroupIsScoredAloneWithTheWorstAndTheSpread) {
  // site_a: 4 queries, all right. site_b: 4 queries, class 0 right twice, class 1 right once of 2.
  const std::vector<int64_t> labels{0, 1, 0, 1, 0, 0, 1, 1};
  const std::vector<int64_t> predicted{0, 1, 0, 1, 0, 0, 1, 0};
  const std::vector<std::string> sites{"site_a", "site_a", "site_a", "site_a",
                                       "site_b", "site_b", "site_b", "site_b"};
  const GroupedScores s = score_by_group(predicted, labels, sites, "site");
  EXPECT_EQ(s.column, "site");
  EXPECT_DOUBLE_EQ(s.overall.top1, 7.0 / 8);
  ASSERT_EQ(s.groups.size(), 2u);
  EXPECT_EQ(s.groups[0].group, "site_a");
  EXPECT_DOUBLE_EQ(s.groups[0].top1, 1.0);
  EXPECT_EQ(s.groups[1].group, "site_b");
  EXPECT_EQ(s.groups[1].count, 4);
  EXPECT_DOUBLE_EQ(s.groups[1].top1, 0.75);
  EXPECT_DOUBLE_EQ(s.groups[1].balanced, (1.0 + 0.5) / 2);
  EXPECT_EQ(s.worst_group, "site_b");
  EXPECT_DOUBLE_EQ(s.top1_spread, 0.25);
  EXPECT_DOUBLE_EQ(s.balanced_spread, 0.25);
}

TEST(GroupScores, WithoutGroupsOnlyTheOverallScoresAndMismatchedSizesAreRefused) {
  const GroupedScores s = score_by_group({1, 1}, {1, 0}, std::nullopt, "site");
  EXPECT_TRUE(s.column.empty());
  EXPECT_TRUE(s.groups.empty());
  EXPECT_DOUBLE_EQ(s.overall.top1, 0.5);
  EXPECT_THROW(score_by_group({1, 1}, {1, 0}, std::vector<std::string>{"a"}, "site"),
               std::invalid_argument);
}

}  // namespace
}  // namespace pathodino::eval
