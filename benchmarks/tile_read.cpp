// The fast tile path vs OpenSlide on the same random 224 px regions of one synthetic slide, in one
// process, rounds interleaved (machines here are noisy): regions/s of each and their ratio.
//   build/bin/tile_read [--slide FILE] [--size 8192] [--quality 90] [--regions 1500] [--rounds 3]
// Without --slide it writes an 8192 × 8192 synthetic Aperio slide (1,024 level-0 JPEG tiles: far
// more than OpenSlide's 32 MB tile cache holds, as in training over many slides).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <vector>

#include "data/slide/openslide_handle.h"
#include "data/slide/tiff_region_reader.h"
#include "data/synthetic/synthetic_slide.h"

namespace {

using pathodino::data::RgbImage;

template <typename Read>
double regions_per_second(const std::vector<std::pair<int64_t, int64_t>>& at, Read&& read) {
  const auto start = std::chrono::steady_clock::now();
  uint64_t checksum = 0;
  for (const auto& [x, y] : at) checksum += read(x, y).pixels[0];
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (checksum == 1) std::puts("");  // keeps the reads observable
  return static_cast<double>(at.size()) / s;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("fast tile path vs OpenSlide");
  std::string slide_file;
  int64_t size = 8192, regions = 1500, rounds = 3, side = 224, quality = 90;
  app.add_option("--slide", slide_file, "a slide (default: write a synthetic one)");
  app.add_option("--size", size, "side of the synthetic slide, px");
  app.add_option("--quality", quality, "JPEG quality of the synthetic slide (Aperio: often 70)")
      ->check(CLI::Range(1, 100));
  app.add_option("--regions", regions, "regions per round and reader");
  app.add_option("--rounds", rounds, "interleaved rounds");
  std::string only;
  app.add_option("--only", only, "time one reader alone (for a profiler)")
      ->check(CLI::IsMember({"fast", "openslide"}));
  CLI11_PARSE(app, argc, argv);

  std::filesystem::path file = slide_file;
  if (file.empty()) {
    file = std::filesystem::temp_directory_path() /
           ("pathodino_tile_read_bench_" + std::to_string(size) + "_q" + std::to_string(quality) +
            ".svs");
    pathodino::data::SyntheticSlideOptions o;
    o.width = o.height = size;
    o.flavour = pathodino::data::SlideFlavour::aperio;
    o.stain_variation = 1;
    o.background_share = 0;
    o.jpeg_quality = static_cast<int>(quality);
    if (!std::filesystem::exists(file)) pathodino::data::write_synthetic_slide(o, file);
  }
  const pathodino::data::OpenSlideHandle openslide(file);
  const auto [width, height] = openslide.level_size(0);
  const pathodino::data::TiffRegionReader fast(file, openslide.level_count(), width, height);
  std::printf(
      "slide %s: %lld x %lld, %d levels, %.1f MB; %lld random %lld px regions per round, 1 "
      "thread\n",
      file.c_str(), static_cast<long long>(width), static_cast<long long>(height),
      openslide.level_count(), static_cast<double>(std::filesystem::file_size(file)) / 1e6,
      static_cast<long long>(regions), static_cast<long long>(side));
  std::mt19937_64 rng(1);
  std::vector<double> ratios;
  for (int64_t round = 0; round < rounds; ++round) {
    std::vector<std::pair<int64_t, int64_t>> at;
    for (int64_t i = 0; i < regions; ++i)
      at.emplace_back(static_cast<int64_t>(rng() % static_cast<uint64_t>(width - side)),
                      static_cast<int64_t>(rng() % static_cast<uint64_t>(height - side)));
    if (!only.empty()) {
      const double rate =
          only == "fast"
              ? regions_per_second(
                    at, [&](int64_t x, int64_t y) { return fast.read_region(x, y, 0, side, side); })
              : regions_per_second(at, [&](int64_t x, int64_t y) {
                  return openslide.read_region(x, y, 0, side, side);
                });
      std::printf("round %lld: %s alone %.0f regions/s\n", static_cast<long long>(round),
                  only.c_str(), rate);
      continue;
    }
    const double slow = regions_per_second(
        at, [&](int64_t x, int64_t y) { return openslide.read_region(x, y, 0, side, side); });
    const double quick = regions_per_second(
        at, [&](int64_t x, int64_t y) { return fast.read_region(x, y, 0, side, side); });
    std::printf(
        "round %lld: openslide_read_region %.0f regions/s, fast path %.0f regions/s: %.2fx\n",
        static_cast<long long>(round), slow, quick, quick / slow);
    ratios.push_back(quick / slow);
  }
  if (ratios.empty()) return 0;
  double sum = 0;
  for (double r : ratios) sum += r;
  std::sort(ratios.begin(), ratios.end());
  std::printf("ratio fast path / OpenSlide over %zu rounds: mean %.2fx, median %.2fx, %.2f-%.2fx\n",
              ratios.size(), sum / static_cast<double>(ratios.size()), ratios[ratios.size() / 2],
              ratios.front(), ratios.back());
}
