// The measuring side of the curation proof (curation_proof.sh), on a curated index of synthetic
// slides whose true classes `synth` wrote to regions.csv:
//   sampled_classes CURATED.pdidx REGIONS.csv [--column cluster_l1] [--alpha 0] [--seed 0]
// prints one JSON object: the tiles per class; NMI of each cluster column against the classes,
// and of the same column shuffled (chance); and the share of each class among one epoch of draws
// from the sample order training builds (data/source/source_factory.h) — uniform over tiles, and
// balanced over the cluster column — with each one's total-variation distance from equal shares.
// A tile's class is that of the region under its centre; tiles over background are left out.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "data/index/tile_index.h"
#include "data/source/source_factory.h"
#include "data/source/wsi_tile_source.h"
#include "trainer/curate/cluster_agreement.h"

namespace {

using namespace pathodino;

struct Region {
  int64_t x, y, size;
  std::string name;
};

std::map<std::string, std::vector<Region>> read_regions(const std::string& file) {
  std::ifstream in(file);
  std::map<std::string, std::vector<Region>> out;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::stringstream cells(line);
    std::string slide, x, y, size, name;
    std::getline(cells, slide, ',');
    std::getline(cells, x, ',');
    std::getline(cells, y, ',');
    std::getline(cells, size, ',');
    std::getline(cells, name, ',');
    out[slide].push_back({std::stoll(x), std::stoll(y), std::stoll(size), name});
  }
  return out;
}

// Each tile's class index into `names` (-1 over background).
std::vector<int64_t> tile_classes(const data::TileIndex& index,
                                  const std::map<std::string, std::vector<Region>>& regions,
                                  std::vector<std::string>& names) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < index.size(); ++i) {
    const data::IndexedTile& t = index.tile(i);
    const data::IndexedGrid& g = index.grids()[t.grid];
    const std::string slide =
        std::filesystem::path(index.slides()[g.slide].path).filename().string();
    const int64_t cx = t.x + g.extent / 2, cy = t.y + g.extent / 2;
    int64_t label = -1;
    for (const Region& r : regions.count(slide) ? regions.at(slide) : std::vector<Region>{})
      if (cx >= r.x && cx < r.x + r.size && cy >= r.y && cy < r.y + r.size) {
        auto at = std::find(names.begin(), names.end(), r.name);
        if (at == names.end()) at = names.insert(names.end(), r.name);
        label = at - names.begin();
      }
    out.push_back(label);
  }
  return out;
}

nlohmann::json class_shares(const data::SampleOrder& order, const std::vector<int64_t>& label,
                            const std::vector<std::string>& names) {
  std::vector<double> count(names.size(), 0);
  double total = 0;
  for (int64_t p = 0; p < order.epoch_length(); ++p)
    if (const int64_t c = label[static_cast<size_t>(order.at(p))]; c >= 0) {
      ++count[static_cast<size_t>(c)];
      ++total;
    }
  nlohmann::json shares;
  double tv = 0;
  for (size_t c = 0; c < names.size(); ++c) {
    shares[names[c]] = count[c] / total;
    tv += std::abs(count[c] / total - 1.0 / static_cast<double>(names.size())) / 2;
  }
  return {{"shares", shares}, {"tv_from_equal", tv}};
}

}  // namespace

int main(int argc, char** argv) {
  std::string index_file, regions_file, column = "cluster_l1";
  double alpha = 0;
  uint64_t seed = 0;
  CLI::App app("class agreement and sampled classes of a curated synthetic index");
  app.add_option("index", index_file)->required();
  app.add_option("regions", regions_file)->required();
  app.add_option("--column", column);
  app.add_option("--alpha", alpha);
  app.add_option("--seed", seed);
  CLI11_PARSE(app, argc, argv);

  auto index = std::make_shared<const data::TileIndex>(index_file);
  std::vector<std::string> names;
  const std::vector<int64_t> label = tile_classes(*index, read_regions(regions_file), names);
  nlohmann::json out;
  std::vector<uint32_t> classes;
  std::vector<size_t> labelled;
  std::map<std::string, int64_t> tiles;
  for (size_t i = 0; i < label.size(); ++i)
    if (label[i] >= 0) {
      classes.push_back(static_cast<uint32_t>(label[i]));
      labelled.push_back(i);
      ++tiles[names[static_cast<size_t>(label[i])]];
    }
  out["tiles"] = tiles;
  out["over_background"] = label.size() - labelled.size();
  for (const std::string& name : index->tile_column_names()) {
    const auto values = index->tile_column(name);
    std::vector<uint32_t> clusters;
    for (const size_t i : labelled) clusters.push_back(values[i]);
    out["nmi"][name] = curate::normalized_mutual_information(clusters, classes);
    std::shuffle(clusters.begin(), clusters.end(), std::mt19937(seed));
    out["nmi_shuffled"][name] = curate::normalized_mutual_information(clusters, classes);
  }
  const data::WsiTileSource source(index);
  data::DataOptions options;
  options.source = data::SourceKind::wsi;
  out["uniform"] =
      class_shares(*data::make_sample_order(options, source, seed).order, label, names);
  options.wsi.balance_by = column;
  options.wsi.balance_alpha = alpha;
  out["balanced"] =
      class_shares(*data::make_sample_order(options, source, seed).order, label, names);
  out["balanced"]["column"] = column;
  std::cout << out.dump() << "\n";
  return 0;
}
