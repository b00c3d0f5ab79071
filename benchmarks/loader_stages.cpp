// Where one loader thread's time goes: the stages of make_multi_crop_batch (DINOv2's multi-crop,
// 2 × 224 global + 8 × 96 local crops) timed one at a time on the same whole-slide tiles, each
// against its own limit measured in the same run:
//  - tile read + decode against libjpeg-turbo decoding the same pixels from one JPEG in memory
//    (no file, no window, no colour conversion beyond libjpeg's own);
//  - every pass over a crop against streaming its bytes once in and once out at this machine's
//    memcpy bandwidth (what a pass bound only by memory would take).
// The random decisions follow MultiCropAugment's probabilities (data/augment/multi_crop.cpp); the
// flip happens inside the resample, as in the loader; crops and scratch are reused from image to
// image, as in the loader. HED jitter is not in DINOv2's recipe and is timed on every crop beside
// the total.
// The sum of the stages is printed next to make_multi_crop_batch itself on the same tiles.
//   build/bin/loader_stages --index F.pdidx [--images 96] [--json F]
#include <turbojpeg.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "data/augment/gaussian_blur.h"
#include "data/augment/ibot_masks.h"
#include "data/augment/multi_crop.h"
#include "data/augment/normalise.h"
#include "data/augment/resized_crop.h"
#include "data/augment/stain_jitter.h"
#include "data/index/tile_index.h"
#include "data/loader/batch_queue.h"
#include "data/source/wsi_tile_source.h"

namespace {

using namespace pathodino::data;
using Clock = std::chrono::steady_clock;

struct Stage {
  double seconds = 0;
  double limit_seconds = 0;  // 0: no limit measured
  int64_t calls = 0;
};

class Stages {
 public:
  template <class F>
  void time(const std::string& name, double limit_seconds, F&& work) {
    if (!order_.count(name)) order_[name] = static_cast<int>(order_.size());
    const auto start = Clock::now();
    work();
    Stage& s = stages_[name];
    s.seconds += std::chrono::duration<double>(Clock::now() - start).count();
    s.limit_seconds += limit_seconds;
    ++s.calls;
  }
  std::vector<std::pair<std::string, Stage>> ordered() const {
    std::vector<std::pair<std::string, Stage>> out(order_.size());
    for (const auto& [name, index] : order_) out[index] = {name, stages_.at(name)};
    return out;
  }

 private:
  std::map<std::string, Stage> stages_;
  std::map<std::string, int> order_;
};

// Bytes per second of memcpy over buffers the size of a global crop's floats (cache-resident
// sizes are what the passes see as well).
double copy_bandwidth() {
  std::vector<float> a(224 * 224 * 3, 1.0f), b(a.size());
  const int64_t rounds = 2000;
  const auto start = Clock::now();
  for (int64_t r = 0; r < rounds; ++r) {
    std::memcpy(b.data(), a.data(), a.size() * sizeof(float));
    a[r % a.size()] = b[(r * 7) % b.size()];  // keeps the copies from being elided
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return 2.0 * static_cast<double>(rounds * a.size() * sizeof(float)) / seconds;  // read + write
}

// Seconds libjpeg-turbo takes to decode `image` from a JPEG (quality 90, 4:2:0, accurate DCT: the
// fast path's settings) held in memory.
double jpeg_decode_seconds(const RgbImage& image) {
  tjhandle encoder = tjInitCompress(), decoder = tjInitDecompress();
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  tjCompress2(encoder, image.pixels.data(), static_cast<int>(image.width), 0,
              static_cast<int>(image.height), TJPF_RGB, &jpeg, &size, TJSAMP_420, 90,
              TJFLAG_ACCURATEDCT);
  std::vector<unsigned char> out(image.pixels.size());
  const int rounds = 20;
  const auto start = Clock::now();
  for (int r = 0; r < rounds; ++r)
    tjDecompress2(decoder, jpeg, size, out.data(), static_cast<int>(image.width), 0,
                  static_cast<int>(image.height), TJPF_RGB, TJFLAG_ACCURATEDCT);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count() / rounds;
  tjFree(jpeg);
  tjDestroy(encoder);
  tjDestroy(decoder);
  return seconds;
}

bool chance(double p, std::mt19937_64& rng) {
  return std::uniform_real_distribution<double>(0, 1)(rng) < p;
}

struct Recipe {
  int64_t size;
  double min_scale, max_scale, blur, solarize;
};

// One crop through MultiCropAugment::crop's stages (DINOv2's preset), then into the batch buffer.
void crop_stages(const RgbImage& image, const Recipe& r, std::mt19937_64& rng, double bandwidth,
                 std::vector<float>& batch_slot, FloatImage& out, Scratch& scratch,
                 Stages& stages) {
  const double pass = 2.0 * static_cast<double>(r.size * r.size * 3 * sizeof(float)) / bandwidth;
  CropBox box;
  stages.time("crop box", 0, [&] {
    box = random_resized_crop_box(image.height, image.width, r.min_scale, r.max_scale, rng);
  });
  const std::string resize =
      r.size >= 200 ? "crop + resize + flip (global)" : "crop + resize + flip (local)";
  const double resize_limit =
      (static_cast<double>(box.height * box.width * 3) + r.size * r.size * 3 * sizeof(float)) /
      bandwidth;
  const bool flipped = chance(0.5, rng);
  stages.time(resize, resize_limit,
              [&] { crop_and_resize(image, box, r.size, flipped, out, scratch); });
  if (chance(0.8, rng))
    stages.time("colour jitter", 4 * pass, [&] { color_jitter(out, ColorJitter{}, rng); });
  if (chance(0.2, rng)) stages.time("grayscale", pass, [&] { to_grayscale(out); });
  if (chance(r.blur, rng)) {
    const double sigma = std::uniform_real_distribution<double>(0.1, 2.0)(rng);
    stages.time("gaussian blur", 2 * pass, [&] { gaussian_blur(out, sigma, scratch); });
  }
  if (chance(r.solarize, rng)) stages.time("solarize", pass, [&] { solarize(out); });
  FloatImage hed = out;  // beside the total: the pathology preset's extra
  stages.time("HED jitter (pathology only)", pass, [&] { hed_jitter(hed, 0.05, rng); });
  const ChannelStats stats{{0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}};
  stages.time("normalise into batch", pass, [&] { normalise_into(out, stats, batch_slot.data()); });
}

std::string fixed(double value, int decimals) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

// Every stage over `tiles`, as the loader runs them for one image after another.
Stages time_stages(const WsiTileSource& source, const std::vector<int64_t>& tiles,
                   const IbotMasking& masking, double bandwidth, double decode_limit) {
  Stages stages;
  const Recipe global1{224, 0.32, 1.0, 0.0, 0.0}, global2{224, 0.32, 1.0, 0.9, 0.2},
      local{96, 0.05, 0.32, 0.5, 0.0};
  std::vector<float> slot(224 * 224 * 3);
  std::vector<FloatImage> crops(10);  // reused from image to image, as the loader does
  Scratch scratch;
  const auto images = static_cast<int64_t>(tiles.size());
  for (int64_t j = 0; j < images; ++j) {
    LabelledImage image;
    stages.time("tile read + decode", decode_limit, [&] { image = source.read(tiles[j]); });
    std::mt19937_64 rng(j);
    crop_stages(image.image, global1, rng, bandwidth, slot, crops[0], scratch, stages);
    crop_stages(image.image, global2, rng, bandwidth, slot, crops[1], scratch, stages);
    for (int l = 0; l < 8; ++l)
      crop_stages(image.image, local, rng, bandwidth, slot, crops[2 + l], scratch, stages);
    for (int c = 0; c < 2; ++c)
      stages.time("iBOT masks", 0, [&] { ibot_mask(masking, 2 * images, 0, 0, c * images + j); });
  }
  return stages;
}

void print_table(const Stages& stages, double images, double loader_seconds) {
  double total = 0;
  for (const auto& [name, s] : stages.ordered())
    if (name.rfind("HED", 0) != 0) total += s.seconds;
  std::printf(
      "| stage | calls per image | us per image | share | limit us per image | x limit |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (const auto& [name, s] : stages.ordered()) {
    const bool extra = name.rfind("HED", 0) == 0;
    const bool limited = s.limit_seconds > 0;
    std::printf("| %s | %s | %s | %s | %s | %s |\n", name.c_str(),
                fixed(s.calls / images, 2).c_str(), fixed(s.seconds / images * 1e6, 1).c_str(),
                extra ? "(not in total)" : (fixed(100 * s.seconds / total, 1) + " %").c_str(),
                limited ? fixed(s.limit_seconds / images * 1e6, 1).c_str() : "-",
                limited ? fixed(s.seconds / s.limit_seconds, 1).c_str() : "-");
  }
  std::printf(
      "sum of stages %.1f us per image (%.1f img/s); make_multi_crop_batch on the same "
      "tiles %.1f us per image (%.1f img/s)\n",
      total / images * 1e6, images / total, loader_seconds / images * 1e6, images / loader_seconds);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("loader stages, one thread");
  std::string index_file;
  int64_t images = 96;
  app.add_option("--index", index_file, "tile index")->required();
  app.add_option("--images", images, "tiles timed");
  CLI11_PARSE(app, argc, argv);

  const auto index = std::make_shared<const TileIndex>(index_file);
  const WsiTileSource source(index, WsiReadOptions{});
  const ShardedSampler sampler(source.size(), 0, 1, /*seed=*/3);
  const std::vector<int64_t> tiles = sampler.batch(0, images);
  for (int64_t i : tiles) source.read(i);  // opens the slides, warms the page cache
  const double bandwidth = copy_bandwidth();
  const double decode_limit = jpeg_decode_seconds(source.read(tiles[0]).image);
  const IbotMasking masking{14, 0.5, 0.1, 0.5};
  const Stages stages = time_stages(source, tiles, masking, bandwidth, decode_limit);

  // The loader itself on the same tiles (one batch of them).
  BatchQueueOptions options;
  options.batch_size = images;
  options.masking = masking;
  const MultiCropAugment augment{DataOptions{}};
  const auto start = Clock::now();
  make_multi_crop_batch(source, augment, sampler, options, 0);
  const double loader = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("memcpy bandwidth %.2f GB/s; libjpeg-turbo decode of one tile %.1f us\n",
              bandwidth / 1e9, decode_limit * 1e6);
  print_table(stages, static_cast<double>(images), loader);
}
