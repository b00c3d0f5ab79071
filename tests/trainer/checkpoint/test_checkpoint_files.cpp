// Checkpoint files without LibTorch: the manifest's round trip and refusals, retention, the shard
// plan and the step-directory commit protocol.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <numeric>

#include "trainer/checkpoint/checkpoint_directory.h"
#include "trainer/checkpoint/checkpoint_manifest.h"
#include "trainer/checkpoint/shard_plan.h"
#include "trainer/system/durable_file.h"

namespace pathodino::checkpoint {
namespace {

namespace fs = std::filesystem;

class ScratchDir {
 public:
  ScratchDir() : path_(fs::temp_directory_path() / ("pathodino_ck_" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

Manifest sample_manifest() {
  Manifest m;
  m.step = 1250;
  m.world_size = 2;
  m.config_yaml = "run:\n  seed: 0\n";
  m.config_hash = 0xfedcba9876543210ull;  // above 2^63: must survive JSON
  m.sampler = {7, 80000, 30000};
  m.counters = {{"skipped_steps_total", 3}};
  m.rng = "per step";
  m.pathodino_version = "0.1.0";
  m.libtorch_version = "2.11.0";
  m.shards = {"shard-00000-of-00002.safetensors", "shard-00001-of-00002.safetensors"};
  m.tensors["student.backbone.cls_token"] = {1, "F32", {1, 1, 384}, 0xffffffffffffffffull};
  m.tensors["optim.step_counts"] = {0, "I64", {150}, 42};
  return m;
}

TEST(CheckpointManifest, RoundTripKeepsEveryField) {
  const Manifest m = sample_manifest();
  const Manifest back = manifest_from_json(to_json(m), "test");
  EXPECT_EQ(back.step, 1250);
  EXPECT_EQ(back.world_size, 2);
  EXPECT_EQ(back.config_yaml, m.config_yaml);
  EXPECT_EQ(back.config_hash, m.config_hash);
  EXPECT_EQ(back.sampler.position, 80000);
  EXPECT_EQ(back.sampler.epoch(), 2);
  EXPECT_EQ(back.counters, m.counters);
  EXPECT_EQ(back.shards, m.shards);
  ASSERT_EQ(back.tensors.size(), 2u);
  const TensorEntry& cls = back.tensors.at("student.backbone.cls_token");
  EXPECT_EQ(cls.shard, 1);
  EXPECT_EQ(cls.shape, (std::vector<int64_t>{1, 1, 384}));
  EXPECT_EQ(cls.xxh3, 0xffffffffffffffffull);
}

TEST(CheckpointManifest, RefusesDamageNamingTheField) {
  const std::string good = to_json(sample_manifest());
  const auto refused = [](const std::string& text, const std::string& expected) {
    try {
      manifest_from_json(text, "ck/manifest.json");
      ADD_FAILURE() << "accepted: " << expected;
    } catch (const CheckpointError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("ck/manifest.json"), std::string::npos) << e.what();
    }
  };
  refused(good.substr(0, good.size() / 2), "not valid JSON");
  std::string text = good;
  text.replace(text.find("\"shard\": 1"), 10, "\"shard\": 5");
  refused(text, "names shard 5 of 2");
  text = good;
  text.replace(text.find("ffffffffffffffff"), 16, "not-a-checksum!!");
  refused(text, "xxh3 is not a 16-digit hex checksum");
  text = good;
  text.replace(text.find("\"world_size\""), 12, "\"world_sizes\"");
  refused(text, "missing or mistyped field");
  refused("{\"format\": \"something-else/9\"}", "is not pathodino-checkpoint/1");
}

TEST(Retention, KeepsTheLastKTheMultiplesAndLatest) {
  CheckpointOptions options;
  options.keep_last = 2;
  options.keep_every_steps = 1000;
  const std::vector<int64_t> steps{250, 500, 750, 1000, 1250, 1500, 1750};
  EXPECT_EQ(steps_to_delete(steps, 1750, options), (std::vector<int64_t>{250, 500, 750, 1250}));
  // `latest` is never deleted, even when it is older than the last K (a re-saved step).
  EXPECT_EQ(steps_to_delete(steps, 250, options), (std::vector<int64_t>{500, 750, 1250}));
  options.keep_every_steps = 0;
  options.keep_last = 1;
  EXPECT_EQ(steps_to_delete({3, 1, 2}, 3, options), (std::vector<int64_t>{1, 2}));
  EXPECT_TRUE(steps_to_delete({5}, 5, options).empty());
}

TEST(ShardPlan, BalancedBytesAndTheSameOnEveryCall) {
  std::vector<int64_t> bytes;
  for (int i = 0; i < 200; ++i) bytes.push_back(1000 + (i * 7919) % 50000);
  for (int world : {1, 2, 3, 8}) {
    const std::vector<int> plan = assign_shards(bytes, world);
    EXPECT_EQ(plan, assign_shards(bytes, world));
    std::vector<int64_t> load(world, 0);
    for (size_t i = 0; i < bytes.size(); ++i) load[plan[i]] += bytes[i];
    const int64_t total = std::accumulate(bytes.begin(), bytes.end(), int64_t{0});
    for (int64_t l : load) EXPECT_LE(l, total / world + 51000) << "world " << world;
  }
  EXPECT_EQ(assign_shards({10, 10, 10}, 4), (std::vector<int>{0, 1, 2}));  // empty ranks allowed
}

TEST(CheckpointDirectory, CommitProtocolAndLeftovers) {
  ScratchDir scratch;
  const CheckpointDirectory dir(scratch.path() / "checkpoints");
  EXPECT_FALSE(dir.latest().has_value());
  EXPECT_TRUE(dir.complete_steps().empty());

  const fs::path partial = dir.begin(10);
  EXPECT_EQ(partial.filename(), "step-00000010.partial");
  system::write_file_durably(partial / "shard-00000-of-00001.safetensors", "bytes");
  EXPECT_TRUE(dir.complete_steps().empty()) << "a partial directory is never complete";
  write_manifest(partial, sample_manifest());
  dir.commit(10);
  EXPECT_EQ(dir.latest(), 10);
  EXPECT_EQ(dir.complete_steps(), (std::vector<int64_t>{10}));
  EXPECT_FALSE(fs::exists(partial));

  // An interrupted save leaves a partial directory and temp files; the next save clears them.
  fs::create_directories(dir.partial_path(20));
  std::ofstream(dir.root() / "latest.tmp.123") << "x";
  dir.begin(30);
  EXPECT_FALSE(fs::exists(dir.partial_path(20)));
  EXPECT_FALSE(fs::exists(dir.root() / "latest.tmp.123"));
  EXPECT_EQ(dir.latest(), 10);

  // Re-saving an existing step replaces it.
  write_manifest(dir.begin(10), sample_manifest());
  std::ofstream(dir.partial_path(10) / "marker") << "new";
  dir.commit(10);
  EXPECT_TRUE(fs::exists(dir.step_path(10) / "marker"));

  std::ofstream(dir.root() / "latest") << "garbage\n";
  try {
    dir.latest();
    ADD_FAILURE() << "a garbled pointer was accepted";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("does not name a step directory"), std::string::npos);
  }
}

}  // namespace
}  // namespace pathodino::checkpoint
