// VisionTransformer behaviour that the parity test against timm does not reach: masks, the
// token layout, stochastic depth, seeding, devices and dtypes.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <string>

#include "models/vit/vision_transformer.h"

using namespace pathodino::models;

namespace {

VitSpec tiny(int64_t registers = 0) {
  VitSpec spec = vit_spec_from_name("vit_tiny_patch16");
  spec.depth = 2;
  spec.img_size = 64;
  spec.num_register_tokens = registers;
  return spec;
}

TEST(VisionTransformer, OutputsNormalisedClsRegistersAndPatches) {
  VisionTransformer model(tiny(4));
  model->eval();
  const auto out = model->forward(torch::randn({3, 3, 64, 96}));  // non-square: 4 x 6 patches
  EXPECT_EQ(out.cls.sizes(), (std::vector<int64_t>{3, 192}));
  EXPECT_EQ(out.registers.sizes(), (std::vector<int64_t>{3, 4, 192}));
  EXPECT_EQ(out.patches.sizes(), (std::vector<int64_t>{3, 24, 192}));
  // After the final LayerNorm (weight 1, bias 0 at init) every token has mean 0 and variance 1.
  EXPECT_LT(out.patches.mean(-1).abs().max().item<float>(), 1e-4);
  EXPECT_NEAR(out.cls.var(-1, /*unbiased=*/false).mean().item<float>(), 1.0, 1e-2);  // eps 1e-6
}

TEST(VisionTransformer, MaskedPatchesSeeTheMaskTokenOnly) {
  VisionTransformer model(tiny());
  model->eval();
  torch::NoGradGuard no_grad;
  auto a = torch::randn({1, 3, 64, 64});
  auto b = a.clone();
  b.slice(2, 0, 16).slice(3, 0, 16).normal_();  // change only patch 0
  auto masks = torch::zeros({1, 16}, torch::kBool);
  masks[0][0] = true;
  const auto out_a = model->forward(a, masks), out_b = model->forward(b, masks);
  EXPECT_TRUE(torch::equal(out_a.patches, out_b.patches)) << "a masked patch's pixels leaked";
  EXPECT_FALSE(torch::equal(model->forward(a).patches, model->forward(b).patches));
}

TEST(VisionTransformer, PositionEmbeddingIsStoredAtTheNativeGridAndResampledElsewhere) {
  VisionTransformer model(tiny());
  EXPECT_TRUE(model->position_embedding(4, 4).is_same(model->named_parameters()["pos_embed"]));
  const auto bigger = model->position_embedding(6, 5);
  EXPECT_EQ(bigger.sizes(), (std::vector<int64_t>{1, 31, 192}));
  EXPECT_TRUE(
      torch::equal(bigger.slice(1, 0, 1), model->named_parameters()["pos_embed"].slice(1, 0, 1)));
}

TEST(VisionTransformer, SameSeedSameWeightsOtherSeedOtherWeights) {
  VisionTransformer a(tiny()), b(tiny()), c(tiny());
  a->reset_parameters(5), b->reset_parameters(5), c->reset_parameters(6);
  const auto pa = a->named_parameters(), pb = b->named_parameters(), pc = c->named_parameters();
  for (const auto& item : pa) EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << item.key();
  EXPECT_FALSE(torch::equal(pa["blocks.0.attn.qkv.weight"], pc["blocks.0.attn.qkv.weight"]));
  EXPECT_NEAR(pa["blocks.1.mlp.fc1.weight"].std().item<float>(), 0.02, 0.002);
  EXPECT_EQ(pa["blocks.1.mlp.fc1.bias"].abs().sum().item<float>(), 0.0f);
  EXPECT_TRUE(torch::equal(pa["blocks.0.ls1.gamma"], torch::full({192}, 1e-5f)));
}

TEST(VisionTransformer, StochasticDepthActsInTrainingOnly) {
  VitSpec spec = tiny();
  spec.drop_path_rate = 0.5;
  spec.layerscale_init = 1.0;
  VisionTransformer model(spec);
  const auto x = torch::randn({8, 3, 64, 64});
  torch::NoGradGuard no_grad;
  model->eval();
  EXPECT_TRUE(torch::equal(model->forward(x).cls, model->forward(x).cls));
  model->train();
  torch::manual_seed(1);
  const auto first = model->forward(x).cls;
  torch::manual_seed(2);
  EXPECT_FALSE(torch::equal(first, model->forward(x).cls));
  spec.drop_path_schedule = DropPathSchedule::linear;
  EXPECT_DOUBLE_EQ(drop_path_rate_of_block(spec, 0), 0.0);
  EXPECT_DOUBLE_EQ(drop_path_rate_of_block(spec, 1), 0.5);
}

// Note [Last block on read tokens]: the shortened last block gives forward's values and
// gradients at the tokens read, stochastic-depth draws included.
TEST(VisionTransformer, ForwardReadEqualsForwardAtTheTokensRead) {
  VitSpec spec = tiny(2);
  spec.drop_path_rate = 0.3;
  spec.layerscale_init = 0.5;
  VisionTransformer model(spec);
  model->train();
  const auto images = torch::randn({3, 3, 64, 64});
  const auto masks = torch::rand({3, 16}) < 0.3, read = torch::rand({3, 16}) < 0.4;
  const auto weights = torch::randn({3 + read.sum().item<int64_t>(), 192});
  const auto gradients = [&](const torch::Tensor& cls, const torch::Tensor& patches) {
    model->zero_grad();
    (torch::cat({cls, patches}) * weights).sum().backward();
    std::map<std::string, torch::Tensor> out;
    for (const auto& p : model->named_parameters()) out[p.key()] = p.value().grad().clone();
    return out;
  };
  torch::manual_seed(7);
  const auto full = model->forward(images, masks);
  const auto full_grads = gradients(full.cls, full.patches.index({read}));
  torch::manual_seed(7);
  const auto part = model->forward_read(images, masks, read);
  EXPECT_TRUE(torch::allclose(part.cls, full.cls, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(part.patches, full.patches.index({read}), 1e-5, 1e-5));
  const auto part_grads = gradients(part.cls, part.patches);
  for (const auto& [name, grad] : full_grads)
    EXPECT_TRUE(torch::allclose(part_grads.at(name), grad, 1e-4, 1e-5)) << name;
  torch::manual_seed(7);
  const auto cls_only = model->forward_read(images, masks, {});
  EXPECT_TRUE(torch::allclose(cls_only.cls, full.cls, 1e-5, 1e-5));
  EXPECT_FALSE(cls_only.patches.defined());
  torch::manual_seed(8);  // other drop-path draws: other values, so the draws above mattered
  EXPECT_FALSE(torch::allclose(model->forward_read(images, masks, read).cls, full.cls));
}

TEST(VisionTransformer, ParameterNamesAreDinov2s) {
  VitSpec spec = tiny(2);
  spec.ffn = FfnKind::swiglu;
  VisionTransformer model(spec);
  const auto params = model->named_parameters();
  for (const char* name :
       {"cls_token", "pos_embed", "register_tokens", "mask_token", "patch_embed.proj.weight",
        "patch_embed.proj.bias", "blocks.1.norm1.weight", "blocks.1.attn.qkv.weight",
        "blocks.1.attn.qkv.bias", "blocks.1.attn.proj.weight", "blocks.1.ls1.gamma",
        "blocks.1.ls2.gamma", "blocks.1.mlp.w12.weight", "blocks.1.mlp.w3.bias", "norm.weight",
        "norm.bias"})
    EXPECT_TRUE(params.contains(name)) << name;
  EXPECT_EQ(params["blocks.0.mlp.w12.weight"].size(0), 2 * 512);  // 2/3 of 4 x 192, rounded to 8
}

TEST(VisionTransformer, RunsInBfloat16) {
  VisionTransformer model(tiny());
  model->to(torch::kBFloat16);
  model->eval();
  const auto out = model->forward(torch::randn({2, 3, 64, 64}).to(torch::kBFloat16));
  EXPECT_EQ(out.cls.scalar_type(), torch::kBFloat16);
  EXPECT_TRUE(torch::isfinite(out.patches).all().item<bool>());
}

TEST(VisionTransformer, RegistryNames) {
  EXPECT_EQ(vit_spec_from_name("vit_small_patch14_reg4").name(), "vit_small_patch14_reg4");
  EXPECT_EQ(vit_spec_from_name("vit_giant_patch14").ffn, FfnKind::swiglu);
  EXPECT_EQ(vit_spec_from_name("vit_base_patch8").patch_size, 8);
  EXPECT_THROW(vit_spec_from_name("vit_huge_patch14"), std::invalid_argument);
  EXPECT_THROW(vit_spec_from_name("vit_small_p14"), std::invalid_argument);
  EXPECT_THROW(vit_spec_from_name("vit_small_patch14_reg32"), std::invalid_argument);
}

}  // namespace
