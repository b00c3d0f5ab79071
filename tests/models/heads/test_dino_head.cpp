// DinoHead: logits against weight-normed prototypes, DINOv2's layer structure and names.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/heads/dino_head.h"

using namespace pathodino::models;

TEST(DinoHead, LogitsAreCosinesAgainstUnitPrototypesWhileTheGainsAreOne) {
  DinoHead head(DinoHeadSpec{64, 300, 128, 32, 3}, 0);
  const auto x = torch::randn({5, 7, 64});
  const auto logits = head->forward(x);
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{5, 7, 300}));
  EXPECT_LE(logits.abs().max().item<float>(), 1.0f + 1e-5f);
  torch::NoGradGuard no_grad;
  // Scaling the raw prototype directions changes nothing ...
  head->last_layer_weight().mul_(torch::rand({300, 1}) + 0.5);
  EXPECT_TRUE(torch::allclose(head->forward(x), logits, 1e-5, 1e-6));
  // ... the gains scale each prototype's logit.
  const auto gains = torch::rand({300, 1}) + 0.5;
  head->last_layer_gain().copy_(gains);
  EXPECT_TRUE(torch::allclose(head->forward(x), logits * gains.view({300}), 1e-5, 1e-6));
}

TEST(DinoHead, GainsAreTrainedUnlessFixed) {
  DinoHead trained(DinoHeadSpec{16, 8, 32, 4, 2, /*trainable_gain=*/true}, 0);
  const auto x = torch::randn({3, 16});
  trained->forward(x).pow(2).sum().backward();
  const auto g = trained->named_parameters()["last_layer.weight_g"];
  ASSERT_TRUE(g.defined());
  EXPECT_EQ(g.sizes(), (std::vector<int64_t>{8, 1}));
  EXPECT_GT(g.grad().abs().sum().item<float>(), 0.0f);
  DinoHead fixed(DinoHeadSpec{16, 8, 32, 4, 2, /*trainable_gain=*/false}, 0);
  EXPECT_FALSE(fixed->named_parameters().contains("last_layer.weight_g"));
  EXPECT_TRUE(fixed->named_buffers().contains("last_layer.weight_g"));
  EXPECT_EQ(fixed->named_buffers()["last_layer.weight_g"].sum().item<float>(), 8.0f);
  EXPECT_EQ(fixed->parameters().size() + 1, trained->parameters().size());
}

TEST(DinoHead, Dinov2Structure) {
  DinoHead head(DinoHeadSpec{384, 1024, 2048, 256, 3}, 0);
  const auto params = head->named_parameters();
  EXPECT_EQ(params["mlp.0.weight"].sizes(), (std::vector<int64_t>{2048, 384}));
  EXPECT_EQ(params["mlp.2.weight"].sizes(), (std::vector<int64_t>{2048, 2048}));
  EXPECT_EQ(params["mlp.4.weight"].sizes(), (std::vector<int64_t>{256, 2048}));
  EXPECT_EQ(params["last_layer.weight_v"].sizes(), (std::vector<int64_t>{1024, 256}));
  EXPECT_EQ(params["last_layer.weight_g"].sizes(), (std::vector<int64_t>{1024, 1}));
  EXPECT_EQ(params["last_layer.weight_g"].min().item<float>(), 1.0f);  // DINOv2 fills g with 1
  EXPECT_NEAR(params["mlp.2.weight"].std().item<float>(), 0.02, 0.001);
  EXPECT_EQ(params["mlp.0.bias"].abs().sum().item<float>(), 0.0f);
  DinoHead one_layer(DinoHeadSpec{16, 8, 32, 4, 1}, 0);
  const auto one = one_layer->named_parameters();  // DINOv2: a bare Linear, no index
  EXPECT_EQ(one["mlp.weight"].sizes(), (std::vector<int64_t>{4, 16}));
  EXPECT_EQ(one["mlp.bias"].sizes(), (std::vector<int64_t>{4}));
  EXPECT_EQ(one_layer->forward(torch::randn({2, 16})).sizes(), (std::vector<int64_t>{2, 8}));
}
