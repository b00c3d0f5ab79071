// DinoHead: cosine logits against unit-length prototypes, DINOv2's layer structure.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/heads/dino_head.h"

using namespace pathodino::models;

TEST(DinoHead, LogitsAreCosinesAgainstUnitPrototypes) {
  DinoHead head(DinoHeadSpec{64, 300, 128, 32, 3}, 0);
  const auto x = torch::randn({5, 7, 64});
  const auto logits = head->forward(x);
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{5, 7, 300}));
  EXPECT_LE(logits.abs().max().item<float>(), 1.0f + 1e-5f);
  // The gain is fixed: scaling the raw prototype rows changes nothing.
  torch::NoGradGuard no_grad;
  head->last_layer_weight().mul_(torch::rand({300, 1}) + 0.5);
  EXPECT_TRUE(torch::allclose(head->forward(x), logits, 1e-5, 1e-6));
}

TEST(DinoHead, Dinov2Structure) {
  DinoHead head(DinoHeadSpec{384, 1024, 2048, 256, 3}, 0);
  const auto params = head->named_parameters();
  EXPECT_EQ(params["mlp.0.weight"].sizes(), (std::vector<int64_t>{2048, 384}));
  EXPECT_EQ(params["mlp.2.weight"].sizes(), (std::vector<int64_t>{2048, 2048}));
  EXPECT_EQ(params["mlp.4.weight"].sizes(), (std::vector<int64_t>{256, 2048}));
  EXPECT_EQ(params["last_layer"].sizes(), (std::vector<int64_t>{1024, 256}));
  EXPECT_NEAR(params["mlp.2.weight"].std().item<float>(), 0.02, 0.001);
  EXPECT_EQ(params["mlp.0.bias"].abs().sum().item<float>(), 0.0f);
  DinoHead one_layer(DinoHeadSpec{16, 8, 32, 4, 1}, 0);
  EXPECT_EQ(one_layer->named_parameters()["mlp.0.weight"].sizes(), (std::vector<int64_t>{4, 16}));
}
