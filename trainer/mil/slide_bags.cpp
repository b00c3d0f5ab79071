#include "trainer/mil/slide_bags.h"

#include <torch/torch.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>

#include "data/csv_line.h"
#include "data/index/build_index.h"
#include "trainer/features/feature_file.h"

namespace pathodino::mil {
namespace fs = std::filesystem;
namespace {

using Row = std::map<std::string, std::string>;

struct Table {
  std::vector<std::string> header;
  std::vector<Row> rows;
  bool has(const std::string& column) const {
    return std::find(header.begin(), header.end(), column) != header.end();
  }
};

// A CSV as rows of column -> cell; throws naming the file when `required` is not a column.
Table read_table(const fs::path& csv, const std::vector<std::string>& required) {
  std::ifstream in(csv);
  std::string line;
  if (!in || !std::getline(in, line)) throw std::runtime_error(csv.string() + ": cannot read");
  Table t{data::split_csv_line(line), {}};
  for (const std::string& column : required)
    if (!t.has(column)) throw std::runtime_error(csv.string() + ": no column '" + column + "'");
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const std::vector<std::string> cells = data::split_csv_line(line);
    Row row;
    for (size_t c = 0; c < t.header.size() && c < cells.size(); ++c) row[t.header[c]] = cells[c];
    t.rows.push_back(std::move(row));
  }
  return t;
}

// The embed manifest's slides with a file: name -> file.
std::map<std::string, fs::path> embedded_files(const fs::path& dir) {
  std::map<std::string, fs::path> files;
  for (const Row& row : read_table(dir / "manifest.csv", {"slide", "file", "status"}).rows)
    if (row.at("status") == "embedded" || row.at("status") == "kept" || row.at("status") == "empty")
      files[row.at("slide")] = dir / row.at("file");
  return files;
}

// The name of a manifest row's slide as its feature file has it: the file stem, or the pseudonym
// of its content (of its path when it cannot be read: then it has no file).
std::string slide_name(const Row& row, const BagSetOptions& o) {
  const fs::path path = row.at("path");
  if (!o.pseudonyms) return path.stem().string();
  const fs::path file = path.is_absolute() ? path : o.manifest.parent_path() / path;
  try {
    return o.pseudonyms->slide(data::slide_content_hash(file));
  } catch (const std::exception&) {
    return o.pseudonyms->slide(file.string());
  }
}

// The patient a row names (its pseudonym with pseudonyms), or the slide itself when it names none.
std::string patient_name(const Row& row, const BagSetOptions& o, bool by_patient,
                         const std::string& slide) {
  const std::string patient = by_patient ? row.at(o.patient_column) : "";
  if (patient.empty()) return slide;
  return o.pseudonyms ? o.pseudonyms->patient(patient) : patient;
}

}  // namespace

BagSet load_bags(const BagSetOptions& o) {
  BagSet set;
  const Table manifest = read_table(o.manifest, {"path", o.label_column});
  const std::vector<Row>& rows = manifest.rows;
  set.by_patient = manifest.has(o.patient_column);
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
    const std::string slide = slide_name(row, o);
    if (label.empty()) {
      ++set.unlabelled;
      continue;
    }
    const auto file = files.find(slide);
    if (file == files.end()) {
      ++set.without_file;
      continue;
    }
    const features::SlideFeatures f =
        features::read_feature_file(file->second, o.encryption_key ? &*o.encryption_key : nullptr);
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
    bag.patient = patient_name(row, o, set.by_patient, slide);
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
