// Properties of the SSL objective that the Python reference comparison does not cover.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "trainer/ssl/centering.h"
#include "trainer/ssl/dino_loss.h"
#include "trainer/ssl/koleo_loss.h"
#include "trainer/ssl/ssl_health.h"

using namespace pathodino::ssl;

TEST(KoleoLoss, BatchOfOneAndDuplicatesStayFinite) {
  for (const auto& features :
       {torch::randn({1, 8}), torch::ones({4, 8}),
        torch::cat({torch::randn({1, 8}), torch::randn({1, 8})}).repeat({3, 1}),
        torch::zeros({3, 8})}) {
    auto x = features.clone().requires_grad_(true);
    const auto loss = koleo_loss(x);
    loss.backward();
    EXPECT_TRUE(torch::isfinite(loss).item<bool>()) << features;
    EXPECT_TRUE(torch::isfinite(x.grad()).all().item<bool>()) << features;
  }
  EXPECT_EQ(koleo_loss(torch::randn({1, 8})).item<float>(), 0.0f);
}

TEST(KoleoLoss, SpreadOutFeaturesScoreLowerThanClusteredOnes) {
  const auto spread = torch::eye(8);  // orthogonal: distance √2
  const auto clustered = torch::ones({8, 8}) + 0.01 * torch::randn({8, 8});
  EXPECT_LT(koleo_loss(spread).item<float>(), koleo_loss(clustered).item<float>());
}

TEST(DinoLoss, IsTheEntropyWhenStudentMatchesUniformTeacher) {
  const int64_t K = 50;
  const auto student = torch::zeros({4, 3, K});  // uniform softmax
  const auto teacher = torch::full({2, 3, K}, 1.0 / K);
  EXPECT_NEAR(dino_loss(student, teacher, 0.1).item<float>(), std::log(K), 1e-5);
}

TEST(Centering, SinkhornRowsAreDistributionsAndPrototypesAreBalanced) {
  const auto logits = torch::rand({64, 16}) * 2 - 1;  // cosines, as the DINO head gives
  const auto q = sinkhorn_knopp(logits, 0.1, 3, single_process());
  EXPECT_TRUE(torch::allclose(q.sum(1), torch::ones({64}), 1e-5, 1e-5));
  // Each prototype carries about 1/K of the batch.
  EXPECT_LT((q.sum(0) / 64 - 1.0 / 16).abs().max().item<float>(), 0.02);
}

TEST(Centering, AllReduceSeesTheCenterSums) {
  SoftmaxCenter center(8, 0.5);
  int calls = 0;
  // A fake world of two identical ranks: doubling sums and counts keeps the mean.
  const auto fake_two_ranks = [&](torch::Tensor& t) { t.mul_(2), ++calls; };
  center.apply(torch::ones({4, 8}), 0.1);
  EXPECT_EQ(calls, 0) << "apply() only remembers the sums";
  EXPECT_TRUE(torch::allclose(center.center(), torch::zeros({1, 8})));
  center.update(fake_two_ranks);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(torch::allclose(center.center(), torch::full({1, 8}, 0.5f)));
  center.update(fake_two_ranks);
  EXPECT_EQ(calls, 1) << "nothing applied since the last update: no collective";
}

TEST(Centering, MicroBatchesOfAStepMoveTheCenterLikeOneBatch) {
  const auto logits = torch::rand({6, 8}) * 2 - 1;
  SoftmaxCenter whole(8, 0.9), split(8, 0.9);
  const auto a = whole.apply(logits, 0.1);
  whole.update(single_process());
  const auto b0 = split.apply(logits.slice(0, 0, 2), 0.1);
  const auto b1 = split.apply(logits.slice(0, 2, 6), 0.1);
  split.update(single_process());
  EXPECT_TRUE(torch::allclose(torch::cat({b0, b1}), a, 1e-6, 1e-7));
  EXPECT_TRUE(torch::allclose(split.center(), whole.center(), 1e-6, 1e-7));
}

TEST(SslHealth, UniformAndOnePrototypeCollapseAndEffectiveRank) {
  const int64_t K = 40, N = 8, D = 16;
  const auto cls = torch::eye(D).slice(0, 0, N);  // N orthonormal embeddings: rank N
  const auto uniform = torch::full({N, K}, 1.0 / K);
  const auto h = measure_health(uniform, torch::zeros({3 * N, K}), 0.1, cls, torch::Tensor(),
                                single_process());
  EXPECT_NEAR(h.teacher_entropy, std::log(K), 1e-5);
  EXPECT_NEAR(h.student_entropy, std::log(K), 1e-5);
  EXPECT_NEAR(h.teacher_kl_to_uniform, 0.0, 1e-5);
  EXPECT_EQ(h.prototypes_for_90pct, 36);  // 0.9 · 40
  EXPECT_NEAR(h.cls_effective_rank, N, 1e-3);
  EXPECT_EQ(h.center_norm, 0.0);
  // Every sample on prototype 3, every embedding the same direction.
  auto one_hot = torch::zeros({N, K});
  one_hot.select(1, 3).fill_(1);
  auto sharp = torch::full({N, K}, -10.0);
  sharp.select(1, 3).fill_(10);
  const auto c = torch::full({1, K}, 0.5);
  const auto g = measure_health(one_hot, sharp, 0.1, torch::ones({N, D}), c, single_process());
  EXPECT_NEAR(g.teacher_entropy, 0.0, 1e-5);
  EXPECT_LT(g.student_entropy, 1e-3);
  EXPECT_NEAR(g.teacher_kl_to_uniform, std::log(K), 1e-4);
  EXPECT_NEAR(g.student_kl_to_uniform, std::log(K), 1e-3);
  EXPECT_EQ(g.prototypes_for_90pct, 1);
  EXPECT_NEAR(g.cls_effective_rank, 1.0, 1e-3);
  EXPECT_NEAR(g.center_norm, 0.5 * std::sqrt(K), 1e-6);
}

TEST(SslHealth, RanksContributeTheirShareOfTheGlobalBatch) {
  // Two ranks, each holding half of the batch: the sums make it one batch.
  const int64_t K = 10, D = 6;
  const auto targets = torch::softmax(torch::randn({8, K}) * 3, 1);
  const auto student = torch::randn({16, K});
  const auto cls = torch::randn({8, D});
  const auto whole = measure_health(targets, student, 0.1, cls, {}, single_process());
  const auto half = [&](const torch::Tensor& t, int part) { return t.chunk(2)[part]; };
  torch::Tensor sums_of_rank1;
  measure_health(half(targets, 1), half(student, 1), 0.1, half(cls, 1), {},
                 [&](torch::Tensor& t) { sums_of_rank1 = t.clone(); });
  const auto split = measure_health(half(targets, 0), half(student, 0), 0.1, half(cls, 0), {},
                                    [&](torch::Tensor& t) { t.add_(sums_of_rank1); });
  EXPECT_NEAR(split.teacher_entropy, whole.teacher_entropy, 1e-5);
  EXPECT_NEAR(split.student_entropy, whole.student_entropy, 1e-5);
  EXPECT_NEAR(split.teacher_kl_to_uniform, whole.teacher_kl_to_uniform, 1e-5);
  EXPECT_EQ(split.prototypes_for_90pct, whole.prototypes_for_90pct);
  EXPECT_NEAR(split.cls_effective_rank, whole.cls_effective_rank, 1e-4);
}
