// `pathodino index --slides DIR|GLOB|MANIFEST.csv --out F.pdidx [--target-mpp M ...]
// [--tile-size N] [--tissue-threshold T] [--fallback-mpp M] [--threads N]`: the tile index of a
// slide collection, with a per-slide summary (F.pdidx.summary.csv and on stdout). Slides that
// cannot be used are skipped with their reason; exit 1 only when no slide gave a tile.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "data/index/build_index.h"
#include "trainer/cli/commands.h"

namespace pathodino::cli {
namespace {

struct IndexArgs {
  std::string slides, out;
  data::IndexBuildOptions options;
};

std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

void add_index_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<IndexArgs>();
  args->options.threads = std::max(1u, std::thread::hardware_concurrency());
  auto* command = app.add_subcommand("index", "Index the tissue tiles of whole-slide images");
  command->add_option("--slides", args->slides, "folder, glob or CSV manifest (column `path`)")
      ->required();
  command->add_option("--out", args->out, "index file to write")->required();
  command->add_option("--target-mpp", args->options.target_mpp, "µm/px of the tiles (repeatable)")
      ->check(CLI::PositiveNumber);
  command->add_option("--tile-size", args->options.tile_size, "tile side at the target µm/px")
      ->check(CLI::PositiveNumber);
  command
      ->add_option("--tissue-threshold", args->options.tissue_threshold,
                   "minimum tissue share of a kept tile")
      ->check(CLI::Range(0.0, 1.0));
  command
      ->add_option("--fallback-mpp", args->options.fallback_mpp,
                   "µm/px for slides that carry none; 0 = skip them")
      ->check(CLI::NonNegativeNumber);
  command->add_option("--threads", args->options.threads, "slides indexed in parallel")
      ->check(CLI::PositiveNumber);
  command->callback([args, &exit_code] {
    try {
      const auto slides = data::list_slides(args->slides);
      const data::IndexBuildReport report = data::build_index(slides, args->options, args->out);
      std::ofstream summary(args->out + ".summary.csv");
      summary << "path,status,tiles,mpp,mpp_source,tissue_share,reason\n";
      std::map<std::string, int64_t> reasons;
      for (const auto& s : report.slides) {
        summary << csv_cell(s.path) << "," << (s.ok ? "ok" : "skipped") << "," << s.tiles << ","
                << s.mpp << "," << s.mpp_source << "," << s.tissue_share << ","
                << csv_cell(s.reason) << "\n";
        // A skipped slide's reason starts with its path.
        std::printf("%-8s %8lld tiles  %s%s%s\n", s.ok ? "ok" : "skipped",
                    static_cast<long long>(s.tiles), s.ok ? s.path.c_str() : "",
                    s.ok && !s.reason.empty() ? ": " : "", s.reason.c_str());
      }
      std::printf("%lld slide(s): %lld indexed, %lld skipped; %lld tiles -> %s\n",
                  static_cast<long long>(report.slides.size()),
                  static_cast<long long>(report.slides.size() - report.skipped()),
                  static_cast<long long>(report.skipped()), static_cast<long long>(report.tiles),
                  args->out.c_str());
      exit_code = report.tiles > 0 ? 0 : 1;
    } catch (const std::exception& e) {
      std::cerr << "index: " << e.what() << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace pathodino::cli
