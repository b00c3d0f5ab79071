// Parameter groups and the EMA teacher update on a real ViT.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/heads/dino_head.h"
#include "models/vit/vision_transformer.h"
#include "trainer/optim/param_groups.h"
#include "trainer/ssl/ema_teacher.h"

using namespace pathodino;

namespace {

std::vector<std::pair<std::string, torch::Tensor>> named(const torch::nn::Module& m) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& item : m.named_parameters()) out.emplace_back(item.key(), item.value());
  return out;
}

TEST(ParamGroups, LayerwiseDecayPatchEmbedMultiplierAndDinov2WeightDecayRule) {
  auto spec = models::vit_spec_from_name("vit_tiny_patch16_reg4");
  spec.depth = 4;
  spec.img_size = 32;
  models::VisionTransformer backbone(spec);
  models::DinoHead head(models::DinoHeadSpec{192, 64, 32, 16, 3}, 0);
  std::vector<std::pair<std::string, torch::Tensor>> head_params;
  for (auto& [name, p] : named(*head)) head_params.emplace_back("dino_head." + name, p);
  optim::OptimOptions rules;
  rules.layerwise_decay = 0.9;
  rules.patch_embed_lr_mult = 0.2;
  const auto groups = optim::make_param_groups(named(*backbone), 4, head_params, rules);
  auto find = [&](const std::string& name) {
    for (const auto& g : groups)
      if (g.name == name) return g;
    ADD_FAILURE() << "no group " << name;
    return optim::ParamGroup{};
  };
  EXPECT_DOUBLE_EQ(find("backbone.blocks.3.mlp.fc1.weight").lr_multiplier, 0.9);  // top block
  EXPECT_DOUBLE_EQ(find("backbone.blocks.0.mlp.fc1.weight").lr_multiplier, std::pow(0.9, 4));
  EXPECT_DOUBLE_EQ(find("backbone.pos_embed").lr_multiplier, std::pow(0.9, 5));
  EXPECT_DOUBLE_EQ(find("backbone.patch_embed.proj.weight").lr_multiplier, std::pow(0.9, 5) * 0.2);
  EXPECT_DOUBLE_EQ(find("backbone.norm.weight").lr_multiplier, 1.0);
  EXPECT_DOUBLE_EQ(find("dino_head.mlp.0.weight").lr_multiplier, 1.0);
  // dinov2/utils/param_groups.py: no decay only for biases, norms and LayerScale gammas.
  for (const char* name :
       {"backbone.blocks.1.attn.qkv.bias", "backbone.blocks.1.norm1.weight",
        "backbone.blocks.1.ls1.gamma", "backbone.norm.bias", "dino_head.mlp.0.bias"})
    EXPECT_EQ(find(name).wd_multiplier, 0.0) << name;
  for (const char* name : {"backbone.blocks.1.attn.qkv.weight", "backbone.patch_embed.proj.weight",
                           "backbone.pos_embed", "backbone.cls_token", "backbone.register_tokens",
                           "backbone.mask_token", "dino_head.mlp.2.weight",
                           "dino_head.last_layer.weight_v", "dino_head.last_layer.weight_g"})
    EXPECT_EQ(find(name).wd_multiplier, 1.0) << name;
  EXPECT_TRUE(find("dino_head.last_layer.weight_v").is_last_layer);
  EXPECT_TRUE(find("dino_head.last_layer.weight_g").is_last_layer);
  EXPECT_FALSE(find("dino_head.mlp.4.weight").is_last_layer);
  EXPECT_EQ(groups.size(), backbone->parameters().size() + head->parameters().size());
}

TEST(ParamGroups, EmbeddingsExemptFromWeightDecayWhenSwitchedOff) {
  auto spec = models::vit_spec_from_name("vit_tiny_patch16_reg4");
  spec.depth = 2;
  spec.img_size = 32;
  models::VisionTransformer backbone(spec);
  optim::OptimOptions rules;
  rules.decay_embeddings = false;
  const auto groups = optim::make_param_groups(named(*backbone), 2, {}, rules);
  for (const auto& g : groups) {
    const bool embedding = g.name == "backbone.pos_embed" || g.name == "backbone.cls_token" ||
                           g.name == "backbone.register_tokens" || g.name == "backbone.mask_token";
    const bool exempt = embedding || g.name.ends_with(".bias") ||
                        g.name.find("norm") != std::string::npos ||
                        g.name.find("gamma") != std::string::npos;
    EXPECT_EQ(g.wd_multiplier, exempt ? 0.0 : 1.0) << g.name;
  }
}

TEST(EmaTeacher, MovesTowardsTheStudentByOneMinusMomentum) {
  std::vector<torch::Tensor> teacher{torch::zeros({3}), torch::full({2, 2}, 4.0)};
  const std::vector<torch::Tensor> student{torch::ones({3}), torch::zeros({2, 2})};
  ssl::ema_update(teacher, student, 0.75);
  EXPECT_TRUE(torch::allclose(teacher[0], torch::full({3}, 0.25)));
  EXPECT_TRUE(torch::allclose(teacher[1], torch::full({2, 2}, 3.0)));
  ssl::ema_update(teacher, student, 1.0);  // final momentum: the teacher stops moving
  EXPECT_TRUE(torch::allclose(teacher[0], torch::full({3}, 0.25)));
}

}  // namespace

#include "trainer/ssl/ssl_heads.h"

namespace {

TEST(SslHeads, SharedOrSeparateByConfig) {
  ssl::SslOptions options;
  options.dino.head = {512, 64, 128, 2};
  options.ibot.head = {256, 32, 64, 3};
  const auto shared = ssl::make_ssl_heads(options, 192, 0);
  EXPECT_TRUE(shared.shared());
  options.ibot.separate_head = true;
  auto separate = ssl::make_ssl_heads(options, 192, 0);
  EXPECT_FALSE(separate.shared());
  EXPECT_EQ(separate.ibot->forward(torch::randn({2, 192})).size(1), 256);
  EXPECT_EQ(separate.dino->forward(torch::randn({2, 192})).size(1), 512);
  EXPECT_EQ(separate.ibot->named_parameters()["mlp.4.weight"].size(0), 32);  // its own bottleneck
}

}  // namespace
