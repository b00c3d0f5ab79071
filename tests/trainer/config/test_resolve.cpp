// Resolution end to end: defaults, the shipped configs, printing and reading back, --set typing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "trainer/config/config_issue.h"
#include "trainer/config/experiment_schema.h"
#include "trainer/config/resolve.h"

namespace fs = std::filesystem;
using namespace pathodino;
using config::resolve_config;
using config::to_yaml;

namespace {

class TempDir {
 public:
  TempDir()
      : path_(fs::temp_directory_path() /
              ("pathodino-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return path_ / name;
  }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

const fs::path kConfigs = PATHODINO_SOURCE_DIR "/configs";

TEST(Resolve, EveryShippedConfigValidates) {
  int count = 0;
  for (const auto& entry : fs::recursive_directory_iterator(kConfigs)) {
    if (entry.path().extension() != ".yaml") continue;
    if (entry.path().parent_path().filename() == "sweeps") continue;  // sweep files: test_sweep
    ++count;
    EXPECT_NO_THROW(resolve_config(entry.path())) << entry.path();
  }
  EXPECT_GE(count, 4);
}

TEST(Resolve, BaseFileSpellsOutExactlyTheBuiltInDefaults) {
  TempDir dir;
  ExperimentConfig from_file = resolve_config(kConfigs / "base/dinov2.yaml");
  ExperimentConfig builtin = resolve_config(dir.write("dinov2.yaml", "{}\n"));
  EXPECT_EQ(to_yaml(from_file), to_yaml(builtin));
  // ... and lists every key, so that it documents the whole schema.
  const auto schema = config::make_experiment_schema();
  std::ifstream in(kConfigs / "base/dinov2.yaml");
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  for (const auto* spec : schema.fields()) {
    if (spec->path == "run.name") continue;  // derived from each config's file name
    const std::string leaf = spec->path.substr(spec->path.rfind('.') + 1);
    EXPECT_NE(text.find(leaf + ":"), std::string::npos) << spec->path;
  }
}

TEST(Resolve, DefaultsAreDinov2s) {
  TempDir dir;
  const ExperimentConfig c = resolve_config(dir.write("x.yaml", ""));
  EXPECT_EQ(c.run.name, "x");
  EXPECT_DOUBLE_EQ(c.ssl.student_temp, 0.1);
  EXPECT_DOUBLE_EQ(c.ssl.teacher.warmup_temp, 0.04);
  EXPECT_DOUBLE_EQ(c.ssl.teacher.temp, 0.07);
  EXPECT_DOUBLE_EQ(c.ssl.center_momentum, 0.9);
  EXPECT_DOUBLE_EQ(c.ssl.koleo.loss_weight, 0.1);
  EXPECT_DOUBLE_EQ(c.optim.base_lr, 0.004);
  EXPECT_DOUBLE_EQ(c.optim.layerwise_decay, 0.9);
  EXPECT_DOUBLE_EQ(c.optim.clip_grad, 3.0);
  EXPECT_EQ(c.ssl.dino.head.n_prototypes, 65536);
  EXPECT_EQ(c.data.local_crops_number, 8);
  EXPECT_EQ((c.data.global_crops_scale), (std::vector<double>{0.32, 1.0}));
}

TEST(Resolve, Vitl14ConfigHasDinov2sL14Values) {
  const ExperimentConfig c = resolve_config(kConfigs / "dinov2/vitl14.yaml");
  EXPECT_EQ(c.model.arch, "vit_large");
  EXPECT_EQ(c.model.patch_size, 14);
  EXPECT_EQ(c.model.ffn, models::FfnKind::swiglu);
  EXPECT_DOUBLE_EQ(c.model.drop_path_rate, 0.4);
  EXPECT_EQ(c.ssl.dino.head.n_prototypes, 131072);
  EXPECT_EQ(c.ssl.dino.head.bottleneck_dim, 384);
  EXPECT_TRUE(c.ssl.ibot.separate_head);
  EXPECT_EQ(c.ssl.ibot.head.n_prototypes, 131072);
  EXPECT_EQ(c.ssl.centering, ssl::Centering::sinkhorn_knopp);
  EXPECT_DOUBLE_EQ(c.ssl.teacher.momentum, 0.994);
  EXPECT_EQ(c.optim.epochs, 500);
  EXPECT_DOUBLE_EQ(c.optim.base_lr, 2e-4);
  EXPECT_EQ(c.optim.warmup_epochs, 80);
  EXPECT_DOUBLE_EQ(c.optim.layerwise_decay, 1.0);
  EXPECT_DOUBLE_EQ(c.optim.weight_decay_end, 0.2);
  EXPECT_EQ(c.data.batch_size_per_rank, 32);
  EXPECT_EQ(c.data.local_crops_size, 98);
  // Inherited unchanged from the base.
  EXPECT_DOUBLE_EQ(c.optim.weight_decay, 0.04);
}

TEST(Resolve, PrintedConfigReadsBackIdentically) {
  TempDir dir;
  const ExperimentConfig original = resolve_config(
      kConfigs / "debug/tiny_cpu.yaml",
      {"run.name=round-trip", "optim.base_lr=1.23456789e-4", "data.mean=[0.1,0.2,0.3]",
       "data.wsi.balance_by=123", "model.pretrained=true"});
  const std::string printed = to_yaml(original, /*comments=*/true);
  const ExperimentConfig reread = resolve_config(dir.write("again.yaml", printed));
  EXPECT_EQ(to_yaml(reread), to_yaml(original));
  EXPECT_EQ(reread.optim.base_lr, 1.23456789e-4);  // bit-exact float round trip
  EXPECT_EQ(reread.data.wsi.balance_by, "123");    // a string that looks like a number
  EXPECT_EQ(reread.model.pretrained, "true");      // ... or a boolean
  EXPECT_EQ(reread.run.name, "round-trip");
}

TEST(Resolve, OverridesAreTypedByTheSchemaAndAppliedAfterFiles) {
  const ExperimentConfig c =
      resolve_config(kConfigs / "debug/tiny_cpu.yaml",
                     {"optim.epochs=7", "optim.base_lr=1e-3", "model.qkv_bias=false",
                      "data.std=0.2, 0.3, 0.4", "data.wsi.target_mpp=[0.25, 0.5, 1.0]",
                      "ssl.centering=sinkhorn_knopp", "run.name=007", "optim.epochs=8"});
  EXPECT_EQ(c.optim.epochs, 8);  // the last --set wins
  EXPECT_DOUBLE_EQ(c.optim.base_lr, 1e-3);
  EXPECT_FALSE(c.model.qkv_bias);
  EXPECT_EQ(c.data.std, (std::vector<double>{0.2, 0.3, 0.4}));
  EXPECT_EQ(c.data.wsi.target_mpp, (std::vector<double>{0.25, 0.5, 1.0}));
  EXPECT_EQ(c.ssl.centering, ssl::Centering::sinkhorn_knopp);
  EXPECT_EQ(c.run.name, "007");
}

TEST(Resolve, InheritanceMergesMapsDeeplyAndReplacesLists) {
  TempDir dir;
  dir.write("grand.yaml",
            "optim: {epochs: 50, betas: [0.8, 0.9]}\ndata: {mean: [0.1, 0.1, 0.1]}\n");
  dir.write("parent_a.yaml", "base: grand.yaml\noptim: {base_lr: 0.01}\n");
  dir.write("parent_b.yaml", "base: grand.yaml\noptim: {epochs: 60}\n");
  const auto child = dir.write("child.yaml",
                               "base: [parent_a.yaml, parent_b.yaml]\n"
                               "optim: {betas: [0.7, 0.95]}\n");
  const ExperimentConfig c = resolve_config(child);
  EXPECT_DOUBLE_EQ(c.optim.base_lr, 0.01);                       // from parent_a
  EXPECT_EQ(c.optim.epochs, 60);                                 // parent_b, listed later, wins
  EXPECT_EQ(c.optim.betas, (std::vector<double>{0.7, 0.95}));    // list replaced, not appended
  EXPECT_EQ(c.data.mean, (std::vector<double>{0.1, 0.1, 0.1}));  // from the grandparent
  EXPECT_EQ(c.run.name, "child");
}

TEST(Resolve, BasePathsAreRelativeToTheIncludingFile) {
  TempDir dir;
  fs::create_directories(dir.write("x", "").parent_path() / "sub");
  dir.write("sub/parent.yaml", "optim: {epochs: 42}\n");
  const auto child = dir.write("child.yaml", "base: sub/parent.yaml\n");
  const auto cwd = fs::current_path();
  fs::current_path(fs::temp_directory_path());
  const ExperimentConfig c = resolve_config(child);
  fs::current_path(cwd);
  EXPECT_EQ(c.optim.epochs, 42);
}

TEST(Resolve, AllProblemsAreReportedTogetherWithTheirOrigins) {
  TempDir dir;
  const auto file =
      dir.write("many.yaml", "optim:\n  base_lr: -1\n  epochs: x\nmodel:\n  ffn: gelu\n");
  try {
    resolve_config(file, {"data.batch_size_per_rank=0"});
    FAIL();
  } catch (const config::ConfigError& e) {
    ASSERT_EQ(e.issues().size(), 4u) << e.what();
    const std::string text = e.what();
    EXPECT_NE(text.find(file.string() + ":2: optim.base_lr:"), std::string::npos) << text;
    EXPECT_NE(text.find(file.string() + ":3: optim.epochs:"), std::string::npos) << text;
    EXPECT_NE(text.find(file.string() + ":5: model.ffn: expected one of: mlp, swiglu"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("--set data.batch_size_per_rank=0: data.batch_size_per_rank: out of range"),
              std::string::npos)
        << text;
  }
}

TEST(Resolve, CrossKeyProblemsBlameTheMostRecentlySetKey) {
  // patch 14 set on the command line breaks the crop sizes from the files: blame --set.
  try {
    resolve_config(kConfigs / "debug/tiny_cpu.yaml", {"model.patch_size=14"});
    FAIL();
  } catch (const config::ConfigError& e) {
    ASSERT_FALSE(e.issues().empty());
    for (const auto& issue : e.issues()) {
      EXPECT_EQ(issue.key, "model.patch_size");
      EXPECT_EQ(issue.origin.source, "--set model.patch_size=14");
    }
  }
}

}  // namespace
