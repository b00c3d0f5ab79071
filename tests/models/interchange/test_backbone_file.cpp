// Export and import of backbones: bit-exact round trips, metadata, and refusals that list every
// missing, unexpected and mismatched tensor.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "models/interchange/backbone_file.h"
#include "models/interchange/safetensors.h"

namespace fs = std::filesystem;
using namespace pathodino::models;

namespace {

fs::path temp_path(const std::string& name) {
  return fs::temp_directory_path() / ("pathodino-bb-" + std::to_string(::getpid()) + "-" + name);
}

VitSpec small_spec() {
  VitSpec spec = vit_spec_from_name("vit_tiny_patch16_reg4");
  spec.depth = 3;
  spec.img_size = 64;
  return spec;
}

TEST(BackboneFile, RoundTripIsBitExact) {
  VisionTransformer original(small_spec());
  original->reset_parameters(11);
  const auto path = temp_path("rt.safetensors");
  BackboneInfo info;
  info.mpp = {0.5};
  export_backbone(original, info, path);

  const VitSpec spec = read_backbone_spec(path);
  EXPECT_EQ(spec.name(), "vit_tiny_patch16_reg4");
  EXPECT_EQ(spec.depth, 3);
  EXPECT_EQ(spec.img_size, 64);
  VisionTransformer copy(spec);
  copy->reset_parameters(99);
  import_backbone(copy, path);
  const auto a = original->named_parameters(), b = copy->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (const auto& item : a) EXPECT_TRUE(torch::equal(item.value(), b[item.key()])) << item.key();

  const auto meta = read_backbone_metadata(path);
  EXPECT_EQ(meta.at("architecture"), "vit_tiny_patch16_reg4");
  EXPECT_EQ(meta.at("patch_size"), "16");
  EXPECT_EQ(meta.at("num_register_tokens"), "4");
  EXPECT_EQ(meta.at("mpp"), "[0.5]");
  EXPECT_EQ(meta.at("image_mean"), "[0.485,0.456,0.406]");
  fs::remove(path);
}

TEST(BackboneFile, ImportResamplesThePositionEmbeddingToAnotherGrid) {
  VisionTransformer trained(small_spec());  // 64 px: 4 x 4 grid
  const auto path = temp_path("grid.safetensors");
  export_backbone(trained, {}, path);
  VitSpec bigger = small_spec();
  bigger.img_size = 96;  // 6 x 6 grid
  VisionTransformer model(bigger);
  import_backbone(model, path);
  const auto pos = model->named_parameters()["pos_embed"];
  EXPECT_EQ(pos.sizes(), (std::vector<int64_t>{1, 37, 192}));
  // Same resampling as the model applies on the fly to a 96 px crop.
  EXPECT_TRUE(torch::allclose(pos, trained->position_embedding(6, 6), 0, 1e-6));
  fs::remove(path);
}

TEST(BackboneFile, RefusalListsEveryProblem) {
  VisionTransformer model(small_spec());
  const auto path = temp_path("wrong.safetensors");
  SafetensorsContent content = {};
  export_backbone(model, {}, path);
  content = read_safetensors(path);
  std::erase_if(content.tensors, [](const auto& t) { return t.name == "norm.weight"; });
  for (auto& t : content.tensors)
    if (t.name == "blocks.0.attn.qkv.weight") t.shape = {576, 96}, t.data.resize(576 * 96 * 4);
  content.tensors.push_back({"head.weight", StDtype::F32, {1}, std::vector<std::byte>(4)});
  write_safetensors(path, content);
  try {
    import_backbone(model, path);
    FAIL() << "accepted";
  } catch (const BackboneFileError& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find(path.string()), std::string::npos) << text;
    EXPECT_NE(text.find("missing tensor 'norm.weight'"), std::string::npos) << text;
    EXPECT_NE(text.find("unexpected tensor 'head.weight'"), std::string::npos) << text;
    EXPECT_NE(
        text.find("tensor 'blocks.0.attn.qkv.weight' has shape [576, 96] in the file, the model "
                  "needs [576, 192]"),
        std::string::npos)
        << text;
  }
  fs::remove(path);
}

// Note [Backbone with heads]: the "backbone." tensors are the backbone, the heads are left alone,
// and a stray backbone tensor is still named.
TEST(BackboneFile, AFileWithHeadsGivesItsPrefixedBackbone) {
  VisionTransformer original(small_spec());
  original->reset_parameters(5);
  const auto path = temp_path("heads.safetensors");
  export_backbone(original, {}, path);
  SafetensorsContent content = read_safetensors(path);
  for (auto& t : content.tensors) t.name = kSslBackbonePrefix + t.name;
  content.tensors.push_back({"dino_head.mlp.weight", StDtype::F32, {1}, std::vector<std::byte>(4)});
  write_safetensors(path, content);
  VisionTransformer copy(small_spec());
  copy->reset_parameters(6);
  import_backbone(copy, path);
  for (const auto& item : original->named_parameters())
    EXPECT_TRUE(torch::equal(item.value(), copy->named_parameters()[item.key()])) << item.key();
  content.tensors.push_back({"backbone.head.weight", StDtype::F32, {1}, std::vector<std::byte>(4)});
  write_safetensors(path, content);
  try {
    import_backbone(copy, path);
    FAIL() << "accepted";
  } catch (const BackboneFileError& e) {
    EXPECT_NE(std::string(e.what()).find("unexpected tensor 'backbone.head.weight'"),
              std::string::npos)
        << e.what();
  }
  fs::remove(path);
}

TEST(BackboneFile, ImportOfAnIncompatibleFileChangesNothing) {
  VisionTransformer model(small_spec());
  const auto before = model->named_parameters()["cls_token"].clone();
  VitSpec other = small_spec();
  other.depth = 2;
  VisionTransformer shallower(other);
  shallower->reset_parameters(4);
  const auto path = temp_path("shallow.safetensors");
  export_backbone(shallower, {}, path);
  EXPECT_THROW(import_backbone(model, path), BackboneFileError);
  EXPECT_TRUE(torch::equal(model->named_parameters()["cls_token"], before));
  fs::remove(path);
}

}  // namespace

#include "models/factory/backbone_factory.h"

namespace {

TEST(BackboneFactory, StudentAndTeacherStartFromThePretrainedFile) {
  VitSpec spec = vit_spec_from_name("vit_tiny_patch16");
  spec.img_size = 224;  // a public backbone at 224 px
  VisionTransformer released(spec);
  released->reset_parameters(21);
  const auto path = temp_path("released.safetensors");
  export_backbone(released, {}, path);

  ModelOptions options;
  options.arch = "vit_tiny";
  options.patch_size = 16;
  options.pretrained = path.string();
  // Continued pretraining with 96 px global crops: the position embedding is resampled.
  VisionTransformer student = build_backbone(options, 96, 1),
                    teacher = build_backbone(options, 96, 2);
  const auto s = student->named_parameters(), t = teacher->named_parameters(),
             r = released->named_parameters();
  for (const auto& item : r) {
    if (item.key() == "pos_embed") continue;
    EXPECT_TRUE(torch::equal(s[item.key()], item.value())) << item.key();
    EXPECT_TRUE(torch::equal(t[item.key()], item.value())) << item.key();
  }
  EXPECT_EQ(s["pos_embed"].sizes(), (std::vector<int64_t>{1, 37, 192}));

  options.pretrained = temp_path("missing.safetensors").string();
  try {
    build_backbone(options, 96, 1);
    FAIL();
  } catch (const SafetensorsError& e) {
    EXPECT_NE(std::string(e.what()).find(options.pretrained), std::string::npos);
  }
  fs::remove(path);
}

}  // namespace
