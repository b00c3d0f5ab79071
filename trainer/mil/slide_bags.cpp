#include "trainer/mil/slide_bags.h"

#include <torch/torch.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>

#include "data/csv_line.h"
#include "trainer/features/feature_file.h"

namespace pathodino::mil {
namespace fs = std::filesystem;
namespace {

using Row = std::map<std::string, std::string>;

// A CSV as rows of column -> cell; throws naming the file when `required` is not a column.
std::vector<Row> read_rows(const fs::path& csv, const std::vector<std::string>& required) {
  std::ifstream in(csv);
  std::string line;
  if (!in || !std::getline(in, line)) throw std::runtime_error(csv.string() + ": cannot read");
  const std::vector<std::string> header = data::split_csv_line(line);
  for (const std::string& column : required)
    if (std::find(header.begin(), header.end(), column) == header.end())
      throw std::runtime_error(csv.string() + ": no column '" + column + "'");
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const std::vector<std::string> cells = data::split_csv_line(line);
    Row row;
    for (size_t c = 0; c < header.size() && c < cells.size(); ++c) row[header[c]] = cells[c];
    rows.push_back(std::move(row));
  }
  return rows;
}

bool has_column(const fs::path& csv, const std::string& column) {
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = data::split_csv_line(line);
  return std::find(header.begin(), header.end(), column) != header.end();
}

// The embed manifest's slides with a file: name -> file.
std::map<std::string, fs::path> embedded_files(const fs::path& dir) {
  std::map<std::string, fs::path> files;
  for (const Row& row : read_rows(dir / "manifest.csv", {"slide", "file", "status"}))
    if (row.at("status") == "embedded" || row.at("status") == "kept" || row.at("status") == "empty")
      files[row.at("slide")] = dir / row.at("file");
  return files;
}

}  // namespace

BagSet load_bags(const BagSetOptions& o) {
  BagSet set;
  set.by_patient = has_column(o.manifest, o.patient_column);
  const std::vector<Row> rows = read_rows(o.manifest, {"path", o.label_column});
  std::set<std::string> labels;
  for (const Row& row : rows)
    if (!row.at(o.label_column).empty()) labels.insert(row.at(o.label_column));
  if (labels.size() < 2)
    throw std::runtime_error(o.manifest.string() + ": column '" + o.label_column + "' has " +
                             std::to_string(labels.size()) +
                             " class(es); a slide-level task needs two or more");
  set.classes.assign(labels.begin(), labels.end());
  const std::map<std::string, fs::path> files = embedded_files(o.embeddings);
  for (const Row& row : rows) {
    const std::string& label = row.at(o.label_column);
    const std::string slide = fs::path(row.at("path")).stem().string();
    if (label.empty()) {
      ++set.unlabelled;
      continue;
    }
    const auto file = files.find(slide);
    if (file == files.end()) {
      ++set.without_file;
      continue;
    }
    const features::SlideFeatures f = features::read_feature_file(file->second);
    const std::string& sha = f.info.backbone_sha256;
    if (!o.backbone_sha256.empty() && sha != o.backbone_sha256)
      throw std::runtime_error(file->second.string() + ": embedded with backbone " +
                               f.info.backbone + " (sha256 " + sha.substr(0, 12) +
                               "), not the one named (sha256 " + o.backbone_sha256.substr(0, 12) +
                               ")");
    if (!set.backbone_sha256.empty() && sha != set.backbone_sha256)
      throw std::runtime_error(file->second.string() + ": embedded with backbone " +
                               f.info.backbone + ", the folder's other files with " + set.backbone +
                               ": one backbone per folder");
    set.backbone = f.info.backbone;
    set.backbone_sha256 = sha;
    if (f.info.tiles == 0) {
      ++set.without_tiles;
      continue;
    }
    SlideBag bag;
    bag.slide = slide;
    bag.path = row.at("path");
    bag.patient =
        set.by_patient && !row.at(o.patient_column).empty() ? row.at(o.patient_column) : slide;
    bag.label =
        std::lower_bound(set.classes.begin(), set.classes.end(), label) - set.classes.begin();
    bag.features = torch::from_blob(const_cast<float*>(f.features.data()),
                                    {f.info.tiles, f.info.dim}, torch::kFloat32)
                       .clone();
    bag.coords = f.coords;
    bag.tile_size_level0 = f.info.tile_size_level0;
    set.bags.push_back(std::move(bag));
  }
  return set;
}

}  // namespace pathodino::mil
