// `pathodino audit ledger CKPT [--by COLUMN] [--json]` and `pathodino audit used CKPT --slides
// LIST [--json]`: which slides' tiles trained a checkpoint (Note [Data ledger],
// data/index/draw_ledger.h). The ledger is rebuilt from the checkpoint alone — its config, its
// sampler position and the tile index it names, refused by name when the index's SHA-256 is no
// longer the one recorded — as CSV (or JSON): per slide its content hash, group columns, tiles in
// the index, draws and distinct tiles; with --by, per value of a manifest column (site, patient).
// `used` answers per listed slide file, matched by content hash (not by name): yes with its
// counts, or no. Exit 1 with the file at fault named.
#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "data/csv_line.h"
#include "data/index/build_index.h"
#include "trainer/cli/commands.h"
#include "trainer/cli/data_ledger.h"

namespace pathodino::cli {
namespace {

struct LedgerArgs {
  std::string checkpoint, by, slides;
  bool json = false;
};

nlohmann::ordered_json slide_json(const Ledger& l, size_t s) {
  const data::IndexedSlide& slide = l.index->slides()[s];
  return {{"slide", slide.path},       {"content_hash", slide.content_hash},
          {"groups", slide.groups},    {"tiles", slide.tiles},
          {"draws", l.draws.draws[s]}, {"distinct_tiles", l.draws.distinct_tiles[s]}};
}

void print_ledger(const Ledger& l, const LedgerArgs& args) {
  const size_t slides = l.index->slides().size();
  std::map<std::string, std::array<int64_t, 3>> groups;  // tiles, draws, distinct
  for (size_t s = 0; s < slides && !args.by.empty(); ++s) {
    const auto& g = l.index->slides()[s].groups;
    const auto it = g.find(args.by);
    if (it == g.end())
      throw std::runtime_error(l.manifest.data.at("tile_index") + ": slide " +
                               l.index->slides()[s].path + " has no column '" + args.by + "'");
    auto& sums = groups[it->second];
    sums[0] += l.index->slides()[s].tiles;
    sums[1] += l.draws.draws[s];
    sums[2] += l.draws.distinct_tiles[s];
  }
  if (args.json) {
    nlohmann::ordered_json j{{"checkpoint", args.checkpoint},
                             {"step", l.manifest.step},
                             {"images_drawn", l.manifest.sampler.position},
                             {"world_size", l.manifest.world_size},
                             {"config_hash", fmt::format("{:016x}", l.manifest.config_hash)},
                             {"pathodino", l.manifest.pathodino_version},
                             {"commit", l.manifest.pathodino_commit},
                             {"tile_index", l.manifest.data.at("tile_index")},
                             {"tile_index_sha256", l.manifest.data.at("tile_index_sha256")}};
    j["slides"] = nlohmann::ordered_json::array();
    for (size_t s = 0; s < slides; ++s) j["slides"].push_back(slide_json(l, s));
    for (const auto& [value, sums] : groups)
      j["by"][args.by][value] = {
          {"tiles", sums[0]}, {"draws", sums[1]}, {"distinct_tiles", sums[2]}};
    std::cout << j.dump() << "\n";
    return;
  }
  if (!args.by.empty()) {
    std::cout << args.by << ",tiles,draws,distinct_tiles\n";
    for (const auto& [value, sums] : groups)
      std::cout << fmt::format("{},{},{},{}\n", value, sums[0], sums[1], sums[2]);
    return;
  }
  std::cout << "slide,content_hash,tiles,draws,distinct_tiles\n";
  for (size_t s = 0; s < slides; ++s) {
    const data::IndexedSlide& slide = l.index->slides()[s];
    std::cout << fmt::format("{},{},{},{},{}\n", slide.path, slide.content_hash, slide.tiles,
                             l.draws.draws[s], l.draws.distinct_tiles[s]);
  }
}

// The slide files of a list: one path per line, or a CSV whose header has a `path` column.
std::vector<std::string> listed_slides(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(file + ": cannot be read");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  if (lines.empty() || lines.front().find(',') == std::string::npos) return lines;
  const std::vector<std::string> header = data::split_csv_line(lines.front());
  const auto column = std::find(header.begin(), header.end(), "path");
  if (column == header.end()) throw std::runtime_error(file + ": a CSV list needs a `path` column");
  std::vector<std::string> paths;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::vector<std::string> cells = data::split_csv_line(lines[i]);
    const auto at = static_cast<size_t>(column - header.begin());
    if (at >= cells.size())
      throw std::runtime_error(file + ":" + std::to_string(i + 1) + ": no `path` cell");
    paths.push_back(cells[at]);
  }
  return paths;
}

void print_used(const Ledger& l, const LedgerArgs& args) {
  std::map<std::string, size_t> by_hash;
  for (size_t s = 0; s < l.index->slides().size(); ++s)
    by_hash.emplace(l.index->slides()[s].content_hash, s);
  nlohmann::ordered_json answers = nlohmann::ordered_json::array();
  for (const std::string& path : listed_slides(args.slides)) {
    const auto it = by_hash.find(data::slide_content_hash(path));
    const bool used = it != by_hash.end() && l.draws.draws[it->second] > 0;
    const int64_t draws = it == by_hash.end() ? 0 : l.draws.draws[it->second];
    const int64_t distinct = it == by_hash.end() ? 0 : l.draws.distinct_tiles[it->second];
    if (args.json)
      answers.push_back(
          {{"slide", path}, {"used", used}, {"draws", draws}, {"distinct_tiles", distinct}});
    else
      std::cout << fmt::format(
          "{}: {}\n", path,
          used                  ? fmt::format("yes, {} draws of {} distinct tiles", draws, distinct)
          : it == by_hash.end() ? "no (not in the run's tile index)"
                                : "no (indexed, never drawn)");
  }
  if (args.json)
    std::cout << nlohmann::ordered_json{{"checkpoint", args.checkpoint},
                                        {"step", l.manifest.step},
                                        {"slides", answers}}
                     .dump()
              << "\n";
}

void guarded(const char* command, int& exit_code, const std::function<void()>& body) {
  try {
    body();
  } catch (const std::exception& e) {
    std::cerr << "audit " << command << ": " << e.what() << "\n";
    exit_code = 1;
  }
}

}  // namespace

void add_audit_ledger_commands(CLI::App& audit, int& exit_code) {
  auto args = std::make_shared<LedgerArgs>();
  auto* ledger = audit.add_subcommand(
      "ledger", "Tiles a checkpoint was trained on, per slide (or per manifest column)");
  ledger->add_option("checkpoint", args->checkpoint, "a checkpoint directory")->required();
  ledger->add_option("--by", args->by, "sum per value of this manifest column (site, patient, …)");
  ledger->add_flag("--json", args->json, "print one JSON object instead of CSV");
  ledger->callback([args, &exit_code] {
    guarded("ledger", exit_code, [&] { print_ledger(read_ledger(args->checkpoint), *args); });
  });
  auto* used = audit.add_subcommand(
      "used", "Whether each listed slide file trained a checkpoint (matched by content)");
  used->add_option("checkpoint", args->checkpoint, "a checkpoint directory")->required();
  used->add_option("--slides", args->slides, "slide files: one path per line, or a CSV with path")
      ->required();
  used->add_flag("--json", args->json, "print one JSON object");
  used->callback([args, &exit_code] {
    guarded("used", exit_code, [&] { print_used(read_ledger(args->checkpoint), *args); });
  });
}

}  // namespace pathodino::cli
