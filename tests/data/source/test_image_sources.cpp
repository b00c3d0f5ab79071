// Ordinary image files and the sources built on them: PNG/JPEG decoding (checked against the
// pixels that were encoded), clear errors for bad files, the image-folder layouts, and the
// labelled tile set `pathodino synth` writes for kNN evaluation.
#include <gtest/gtest.h>
#include <turbojpeg.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <string>

#include "data/image_file/image_file.h"
#include "data/source/image_folder_source.h"
#include "data/synthetic/labelled_tiles.h"
#include "data/synthetic/tissue_renderer.h"
#include "scratch_dir.h"

namespace pathodino::data {
namespace {

namespace fs = std::filesystem;

RgbImage noise_image(int64_t w, int64_t h, uint64_t seed) {
  std::mt19937_64 rng(seed);
  RgbImage image{w, h, std::vector<uint8_t>(static_cast<size_t>(w * h * 3))};
  for (uint8_t& v : image.pixels) v = static_cast<uint8_t>(rng());
  return image;
}

void write_jpeg(const RgbImage& image, const fs::path& file, int quality) {
  tjhandle encoder = tjInitCompress();
  unsigned char* bytes = nullptr;
  unsigned long size = 0;
  ASSERT_EQ(
      tjCompress2(encoder, image.pixels.data(), static_cast<int>(image.width), 0,
                  static_cast<int>(image.height), TJPF_RGB, &bytes, &size, TJSAMP_444, quality, 0),
      0);
  std::ofstream(file, std::ios::binary).write(reinterpret_cast<char*>(bytes), size);
  tjFree(bytes);
  tjDestroy(encoder);
}

std::string error_of(const fs::path& file) {
  try {
    read_image_file(file);
  } catch (const ImageFileError& e) {
    return e.what();
  }
  return "no error";
}

class ImageFiles : public testing::Test {
 protected:
  testing_support::ScratchDir scratch_{"image_files"};
  const fs::path& dir_ = scratch_.path();
};

TEST_F(ImageFiles, PngRoundTripsExactly) {
  const RgbImage image = noise_image(37, 23, 1);
  write_png(image, dir_ / "a.png");
  const RgbImage back = read_image_file(dir_ / "a.png");
  EXPECT_EQ(back.width, 37);
  EXPECT_EQ(back.height, 23);
  EXPECT_EQ(back.pixels, image.pixels);
  EXPECT_FALSE(fs::exists(dir_ / "a.png.partial"));
}

TEST_F(ImageFiles, JpegDecodesCloseToTheEncodedPixelsWhateverTheName) {
  RgbImage image{64, 48, std::vector<uint8_t>(64 * 48 * 3)};
  for (int64_t i = 0; i < 64 * 48; ++i) {  // smooth content: JPEG keeps it within a few levels
    image.pixels[i * 3] = static_cast<uint8_t>(i % 64 * 4);
    image.pixels[i * 3 + 1] = static_cast<uint8_t>(i / 64 * 5);
    image.pixels[i * 3 + 2] = 128;
  }
  write_jpeg(image, dir_ / "b.png", 98);  // misnamed on purpose: the bytes decide
  const RgbImage back = read_image_file(dir_ / "b.png");
  ASSERT_EQ(back.width, 64);
  ASSERT_EQ(back.height, 48);
  double error = 0;
  for (size_t i = 0; i < back.pixels.size(); ++i)
    error += std::abs(int(back.pixels[i]) - int(image.pixels[i]));
  EXPECT_LT(error / static_cast<double>(back.pixels.size()), 2.0);
}

TEST_F(ImageFiles, BadFilesGiveReasonsNamingTheFile) {
  std::ofstream(dir_ / "empty.png").flush();
  std::ofstream(dir_ / "text.jpg") << "hello, not an image";
  write_png(noise_image(64, 64, 2), dir_ / "whole.png");
  fs::copy_file(dir_ / "whole.png", dir_ / "cut.png");
  fs::resize_file(dir_ / "cut.png", fs::file_size(dir_ / "whole.png") / 2);
  EXPECT_NE(error_of(dir_ / "empty.png").find("empty.png: neither PNG nor JPEG (empty file)"),
            std::string::npos);
  EXPECT_NE(error_of(dir_ / "text.jpg").find("text.jpg: neither PNG nor JPEG"), std::string::npos);
  EXPECT_NE(error_of(dir_ / "cut.png").find("cut.png: PNG decoding failed"), std::string::npos)
      << error_of(dir_ / "cut.png");
  EXPECT_NE(error_of(dir_ / "missing.png").find("missing.png: cannot open"), std::string::npos);
}

TEST_F(ImageFiles, FolderLayoutsAndCsv) {
  // train/val with classes
  for (const char* split : {"train", "val"})
    for (const char* cls : {"b_class", "a_class"}) {
      fs::create_directories(dir_ / "set" / split / cls);
      for (int i = 0; i < 3; ++i)
        write_png(noise_image(8, 8, i), dir_ / "set" / split / cls / (std::to_string(i) + ".png"));
    }
  const ImageFolderSource train(dir_ / "set", Split::train), val(dir_ / "set", Split::val);
  EXPECT_EQ(train.size(), 6);
  EXPECT_EQ(val.size(), 6);
  EXPECT_EQ(train.class_names(), (std::vector<std::string>{"a_class", "b_class"}));
  EXPECT_EQ(train.read(0).label, 0);
  EXPECT_EQ(train.read(5).label, 1);
  EXPECT_EQ(train.read(4).image.pixels, noise_image(8, 8, 1).pixels);  // b_class/1.png

  // flat, unlabelled, nested
  fs::create_directories(dir_ / "flat" / "deeper");
  write_png(noise_image(8, 8, 0), dir_ / "flat" / "x.png");
  write_jpeg(noise_image(8, 8, 1), dir_ / "flat" / "deeper" / "y.JPG", 90);
  std::ofstream(dir_ / "flat" / "notes.txt") << "ignored";
  const ImageFolderSource flat(dir_ / "flat", Split::train);
  EXPECT_EQ(flat.size(), 2);
  EXPECT_TRUE(flat.class_names().empty());
  EXPECT_EQ(flat.read(1).label, -1);
  EXPECT_THROW(ImageFolderSource(dir_ / "flat", Split::val), std::runtime_error);

  // CSV with relative paths and labels
  std::ofstream(dir_ / "list.csv") << "path,label\nflat/x.png,tumour\nflat/deeper/y.JPG,stroma\n";
  const ImageFolderSource csv(dir_ / "list.csv", Split::train);
  EXPECT_EQ(csv.size(), 2);
  EXPECT_EQ(csv.class_names(), (std::vector<std::string>{"stroma", "tumour"}));
  EXPECT_EQ(csv.read(0).label, 1);
  EXPECT_FALSE(csv.group_values("site"));
  EXPECT_THROW(ImageFolderSource(dir_ / "list.csv", Split::val), std::runtime_error);

  // CSV with both splits and group columns
  std::ofstream(dir_ / "sites.csv") << "path,site,label,split\nflat/x.png,site_a,tumour,val\n"
                                       "flat/deeper/y.JPG,site_b,stroma,train\n"
                                       "flat/x.png,site_b,tumour,train\n";
  const ImageFolderSource csv_train(dir_ / "sites.csv", Split::train);
  const ImageFolderSource csv_val(dir_ / "sites.csv", Split::val);
  EXPECT_EQ(csv_train.size(), 2);
  EXPECT_EQ(csv_val.size(), 1);
  EXPECT_EQ(csv_val.relative_path(0), fs::path("flat/x.png"));
  EXPECT_EQ(csv_train.group_values("site"), (std::vector<std::string>{"site_b", "site_b"}));
  EXPECT_EQ(csv_val.group_values("site"), (std::vector<std::string>{"site_a"}));
  EXPECT_FALSE(csv_val.group_values("split")) << "the split is not a group column";
  std::ofstream(dir_ / "short.csv") << "path,label,site\nflat/x.png,tumour\n";
  try {
    ImageFolderSource(dir_ / "short.csv", Split::train);
    ADD_FAILURE() << "a CSV row with a missing cell was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("short.csv:2: 2 cells, the header has 3"),
              std::string::npos)
        << e.what();
  }

  std::ofstream(dir_ / "nopath.csv") << "file,label\nx.png,a\n";
  try {
    ImageFolderSource(dir_ / "nopath.csv", Split::train);
    ADD_FAILURE() << "a CSV without a path column was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("nopath.csv: no `path` column"), std::string::npos);
  }
  fs::create_directories(dir_ / "nothing");
  EXPECT_THROW(ImageFolderSource(dir_ / "nothing", Split::train), std::runtime_error);
}

TEST_F(ImageFiles, LabelledTilesFromSyntheticSlides) {
  SyntheticSlideOptions slide;
  slide.width = 2048;
  slide.height = 1536;
  slide.stain_variation = 1.0;
  slide.seed = 4;
  LabelledTileOptions options;
  options.tiles_per_class = 5;
  options.tile_size = 128;
  EXPECT_EQ(write_labelled_tiles(slide, options, dir_ / "labelled"), 2 * 4 * 5);
  const ImageFolderSource train(dir_ / "labelled", Split::train),
      val(dir_ / "labelled", Split::val);
  ASSERT_EQ(train.size(), 20);
  ASSERT_EQ(val.size(), 20);
  std::vector<std::string> expected;
  for (int c = 0; c < 4; ++c) expected.push_back(tissue_class_name(c));
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(train.class_names(), expected);
  std::set<std::vector<uint8_t>> distinct;
  for (int64_t i = 0; i < 20; ++i) {
    const LabelledImage a = train.read(i);
    EXPECT_EQ(a.image.width, 128);
    EXPECT_EQ(a.label, i / 5);
    distinct.insert(a.image.pixels);
    distinct.insert(val.read(i).image.pixels);
  }
  EXPECT_EQ(distinct.size(), 40u);  // bank and queries share no tile
  // Deterministic: the same options write the same tiles.
  write_labelled_tiles(slide, options, dir_ / "again");
  EXPECT_EQ(ImageFolderSource(dir_ / "again", Split::val).read(7).image.pixels,
            val.read(7).image.pixels);
  options.tile_size = 1024;
  EXPECT_THROW(write_labelled_tiles(slide, options, dir_ / "too_big"), std::invalid_argument);
}

}  // namespace
}  // namespace pathodino::data
