// The per-slide HDF5 feature file: what is written reads back bit for bit (features, coords,
// every attribute), a slide without tiles is a valid empty file, a file that is not one is
// refused by name, and a rewrite replaces the file whole (no temporary file left beside it).
// Encrypted files (Note [Encrypted feature files]) read back with their key; without it, with
// another key, with a flipped byte or swapped with another slide's file they are refused by name.
#include <gtest/gtest.h>

#include <fstream>

#include "scratch_dir.h"
#include "trainer/features/feature_file.h"

namespace pathodino::features {
namespace {

using testing_support::ScratchDir;

SlideFeatures example(int64_t tiles, int64_t dim) {
  SlideFeatures s;
  s.info = {"slide_007", tiles, dim, 224, 448, 0.5, 0.25, "teacher.safetensors", "ab12", "0.1.0"};
  for (int64_t i = 0; i < tiles * dim; ++i) s.features.push_back(0.001f * static_cast<float>(i));
  for (int64_t i = 0; i < tiles; ++i) {
    s.coords.push_back(448 * i);
    s.coords.push_back(896 + i);
  }
  return s;
}

TEST(FeatureFile, WhatIsWrittenReadsBack) {
  ScratchDir dir("feature_file");
  const auto file = dir.path() / "slide_007.h5";
  const SlideFeatures written = example(5, 3);
  write_feature_file(file, written);
  const SlideFeatures read = read_feature_file(file);
  EXPECT_EQ(read.features, written.features);
  EXPECT_EQ(read.coords, written.coords);
  EXPECT_EQ(read.info.slide, "slide_007");
  EXPECT_EQ(read.info.tiles, 5);
  EXPECT_EQ(read.info.dim, 3);
  EXPECT_EQ(read.info.tile_size, 224);
  EXPECT_EQ(read.info.tile_size_level0, 448);
  EXPECT_EQ(read.info.target_mpp, 0.5);
  EXPECT_EQ(read.info.level0_mpp, 0.25);
  EXPECT_EQ(read.info.backbone, "teacher.safetensors");
  EXPECT_EQ(read.info.backbone_sha256, "ab12");
  EXPECT_EQ(read.info.pathodino_version, "0.1.0");
  EXPECT_EQ(read_feature_file_info(file).tiles, 5);
}

TEST(FeatureFile, ASlideWithoutTilesIsAnEmptyFile) {
  ScratchDir dir("feature_file");
  const auto file = dir.path() / "empty.h5";
  write_feature_file(file, example(0, 384));
  const SlideFeatures read = read_feature_file(file);
  EXPECT_EQ(read.info.tiles, 0);
  EXPECT_EQ(read.info.dim, 384);
  EXPECT_TRUE(read.features.empty());
  EXPECT_TRUE(read.coords.empty());
}

TEST(FeatureFile, ARewriteReplacesTheFileWholeAndLeavesNoTemporary) {
  ScratchDir dir("feature_file");
  const auto file = dir.path() / "slide.h5";
  write_feature_file(file, example(4, 2));
  write_feature_file(file, example(2, 2));
  EXPECT_EQ(read_feature_file(file).info.tiles, 2);
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path()))
    ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(FeatureFile, RefusalsNameTheFile) {
  ScratchDir dir("feature_file");
  const auto file = dir.path() / "not_hdf5.h5";
  std::ofstream(file) << "features?";
  try {
    read_feature_file_info(file);
    ADD_FAILURE() << "a text file was read as a feature file";
  } catch (const FeatureFileError& e) {
    EXPECT_NE(std::string(e.what()).find(file.string() + ": not a pathodino feature file"),
              std::string::npos)
        << e.what();
  }
  SlideFeatures wrong = example(3, 2);
  wrong.coords.pop_back();
  EXPECT_THROW(write_feature_file(dir.path() / "wrong.h5", wrong), FeatureFileError);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "wrong.h5"));
}

// The message of what `read` throws; empty when it does not throw.
template <typename Read>
std::string refusal(Read read) {
  try {
    read();
  } catch (const FeatureFileError& e) {
    return e.what();
  }
  return "";
}

TEST(FeatureFile, AnEncryptedFileReadsBackWithItsKeyOnly) {
  ScratchDir dir("feature_file");
  const auto file = dir.path() / "slide_007.h5";
  const system::AesKey key = system::AesKey::generate();
  const SlideFeatures written = example(5, 3);
  write_feature_file(file, written, &key);
  EXPECT_TRUE(system::is_encrypted_file(file));
  const SlideFeatures read = read_feature_file(file, &key);
  EXPECT_EQ(read.features, written.features);
  EXPECT_EQ(read.coords, written.coords);
  EXPECT_EQ(read_feature_file_info(file, &key).backbone_sha256, "ab12");
  // The plaintext is nowhere in the file: not HDF5's signature, not a name.
  std::ifstream in(file, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), {}};
  EXPECT_EQ(bytes.find("\x89HDF\r\n\x1a\n"), std::string::npos);
  EXPECT_EQ(bytes.find("teacher.safetensors"), std::string::npos);
  EXPECT_NE(refusal([&] { read_feature_file(file); }).find(file.string() + ": an encrypted"),
            std::string::npos);
  const system::AesKey other = system::AesKey::generate();
  EXPECT_NE(refusal([&] { read_feature_file_info(file, &other); }).find(file.string()),
            std::string::npos);
}

TEST(FeatureFile, AnAlteredOrSwappedEncryptedFileIsRefusedByName) {
  ScratchDir dir("feature_file");
  const system::AesKey key = system::AesKey::generate();
  const auto a = dir.path() / "slide_a.h5", b = dir.path() / "slide_b.h5";
  write_feature_file(a, example(5, 3), &key);
  write_feature_file(b, example(4, 3), &key);
  {
    std::fstream f(a, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(100);
    const char c = static_cast<char>(f.get());
    f.seekp(100);
    f.put(static_cast<char>(c ^ 1));
  }
  EXPECT_NE(refusal([&] { read_feature_file(a, &key); }).find(a.string() + ": fails"),
            std::string::npos);
  std::filesystem::rename(b, a);  // b's content under a's name
  EXPECT_NE(refusal([&] { read_feature_file(a, &key); }).find(a.string() + ": fails"),
            std::string::npos);
}

}  // namespace
}  // namespace pathodino::features
