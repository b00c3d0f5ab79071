// Weighted kNN (DINO's protocol) on features whose answer is known by construction.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "trainer/eval/knn.h"

namespace pathodino::eval {
namespace {

torch::Tensor unit(torch::Tensor x) { return x / x.norm(2, 1, true); }

TEST(Knn, SeparatedClustersAreClassifiedPerfectly) {
  torch::manual_seed(0);
  const auto centres = unit(torch::randn({3, 16}));
  const auto bank_labels = torch::arange(60) % 3;
  const auto query_labels = torch::arange(30) % 3;
  const auto bank = unit(centres.index_select(0, bank_labels) + 0.05 * torch::randn({60, 16}));
  const auto queries = unit(centres.index_select(0, query_labels) + 0.05 * torch::randn({30, 16}));
  EXPECT_DOUBLE_EQ(knn_top1(bank, bank_labels, queries, query_labels, 20, 0.07, 3), 1.0);
  // Shuffled labels: chance level, far from perfect.
  const auto wrong = bank_labels.index_select(0, torch::randperm(60));
  EXPECT_LT(knn_top1(bank, wrong, queries, query_labels, 20, 0.07, 3), 0.8);
}

TEST(Knn, VotesAreWeightedBySimilarity) {
  // One query; neighbours: class 1 at cosine 0.99 (one vote), class 0 at cosines 0.2 and 0.1.
  // Counting votes would pick class 0; exp(s / 0.07) weighting picks class 1.
  const double angles[3] = {std::acos(0.99), std::acos(0.2), std::acos(0.1)};
  auto bank = torch::zeros({3, 2});
  for (int i = 0; i < 3; ++i) {
    bank[i][0] = std::cos(angles[i]);
    bank[i][1] = std::sin(angles[i]);
  }
  const auto labels = torch::tensor({1, 0, 0}, torch::kInt64);
  const auto query = torch::tensor({{1.0f, 0.0f}});
  EXPECT_EQ(knn_predict(bank, labels, query, 3, 0.07, 2).item<int64_t>(), 1);
  EXPECT_EQ(knn_predict(bank, labels, query, 3, 100.0, 2).item<int64_t>(), 0);  // ~uniform weights
  EXPECT_EQ(knn_predict(bank, labels, query, 1, 0.07, 2).item<int64_t>(), 1);
}

}  // namespace
}  // namespace pathodino::eval
