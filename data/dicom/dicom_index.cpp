#include "data/dicom/dicom_index.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <set>
#include <stdexcept>

#include "data/dicom/dicom_image.h"
#include "data/index/build_index.h"

namespace pathodino::data {
namespace {

namespace fs = std::filesystem;

// A file to index with what its place says: label, split, CSV group columns.
struct Listed {
  fs::path path;
  std::string label, split = "train";
  std::map<std::string, std::string> groups;
};

std::vector<fs::path> files_under(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

// ROOT/<class>/… when ROOT holds only folders, else every file under ROOT unlabelled.
void list_split(const fs::path& root, const std::string& split, std::vector<Listed>& out) {
  std::vector<fs::path> dirs;
  bool loose = false;
  for (const auto& e : fs::directory_iterator(root)) {
    if (e.is_directory()) dirs.push_back(e.path());
    loose = loose || e.is_regular_file();
  }
  if (loose) {
    for (const fs::path& f : files_under(root)) out.push_back({f, "", split, {}});
    return;
  }
  std::sort(dirs.begin(), dirs.end());
  for (const fs::path& d : dirs)
    for (const fs::path& f : files_under(d)) out.push_back({f, d.filename().string(), split, {}});
}

// A CSV manifest as slide manifests are read (list_slides: `path` relative to the CSV, rows
// checked), its `label` and `split` columns taken out of the group columns.
std::vector<Listed> list_csv(const fs::path& csv) {
  std::vector<Listed> out;
  for (SlideEntry& entry : list_slides(csv.string())) {
    Listed l{entry.path, "", "train", std::move(entry.groups)};
    if (const auto label = l.groups.find("label"); label != l.groups.end()) {
      l.label = label->second;
      l.groups.erase(label);
    }
    if (const auto split = l.groups.find("split"); split != l.groups.end()) {
      if (!split->second.empty()) l.split = split->second;
      l.groups.erase(split);
    }
    out.push_back(std::move(l));
  }
  return out;
}

std::vector<Listed> list_source(const fs::path& source) {
  std::vector<Listed> listed;
  if (fs::is_regular_file(source))
    listed = list_csv(source);
  else if (fs::is_directory(source / "train") && fs::is_directory(source / "val")) {
    list_split(source / "train", "train", listed);
    list_split(source / "val", "val", listed);
  } else if (fs::is_directory(source))
    list_split(source, "train", listed);
  if (listed.empty()) throw std::runtime_error(source.string() + ": no file to index");
  return listed;
}

// One listed file as an entry, or the reason it is skipped.
std::string index_file(const Listed& l, const Pseudonyms* pseudonyms, DicomEntry& e) {
  if (!fs::is_regular_file(l.path)) return "no such file";
  if (!is_dicom_file(l.path)) return "not a DICOM file (no DICM preamble)";
  DicomMetadata m;
  try {
    m = read_dicom_metadata(l.path);
  } catch (const DicomError& error) {
    const std::string what = error.what(), prefix = l.path.string() + ": ";
    return what.starts_with(prefix) ? what.substr(prefix.size()) : what;
  }
  if (std::string reason = dicom_unsupported_reason(m); !reason.empty()) return reason;
  e = {l.path.string(), m.rows,           m.columns,
       m.bits_stored,   m.spacing_row_mm, m.spacing_column_mm,
       m.modality,      m.photometric,    m.transfer_syntax,
       l.label,         l.split,          l.groups};
  if (pseudonyms != nullptr) {  // Note [Pseudonyms]: never the IDs themselves
    if (!m.patient_id.empty()) e.groups["patient"] = pseudonyms->patient(m.patient_id);
    if (!m.study_uid.empty()) e.groups["study"] = pseudonyms->patient("study " + m.study_uid);
  }
  return "";
}

}  // namespace

DicomIndex build_dicom_index(const fs::path& source, const Pseudonyms* pseudonyms) {
  DicomIndex index;
  std::set<std::string> classes;
  for (const Listed& l : list_source(source)) {
    DicomEntry e;
    if (std::string reason = index_file(l, pseudonyms, e); !reason.empty()) {
      index.skipped.push_back({l.path.string(), std::move(reason)});
      continue;
    }
    if (!e.label.empty()) classes.insert(e.label);
    index.entries.push_back(std::move(e));
  }
  index.classes.assign(classes.begin(), classes.end());
  return index;
}

// The index file: JSON, with a format tag a reader checks first.
constexpr const char* kFormat = "pathodino dicom index 1";

void write_dicom_index(const DicomIndex& index, const fs::path& file) {
  nlohmann::json entries = nlohmann::json::array(), skipped = nlohmann::json::array();
  for (const DicomEntry& e : index.entries)
    entries.push_back({{"path", e.path},
                       {"rows", e.rows},
                       {"columns", e.columns},
                       {"bits_stored", e.bits_stored},
                       {"spacing_mm", {e.spacing_row_mm, e.spacing_column_mm}},
                       {"modality", e.modality},
                       {"photometric", e.photometric},
                       {"transfer_syntax", e.transfer_syntax},
                       {"label", e.label},
                       {"split", e.split},
                       {"groups", e.groups}});
  for (const DicomSkip& s : index.skipped)
    skipped.push_back({{"path", s.path}, {"reason", s.reason}});
  const nlohmann::json j{{"format", kFormat},
                         {"classes", index.classes},
                         {"entries", std::move(entries)},
                         {"skipped", std::move(skipped)}};
  const fs::path temp = file.string() + ".tmp";
  {
    std::ofstream out(temp);
    if (!(out << j.dump(1) << "\n") || !out.flush())
      throw std::runtime_error(file.string() + ": cannot be written");
  }
  fs::rename(temp, file);
}

DicomIndex read_dicom_index(const fs::path& file) {
  std::ifstream in(file);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != kFormat)
    throw std::runtime_error(file.string() + ": not a DICOM index (pathodino index-dicom)");
  DicomIndex index;
  index.classes = j.at("classes").get<std::vector<std::string>>();
  for (const auto& e : j.at("entries")) {
    DicomEntry d{e.at("path"),
                 e.at("rows"),
                 e.at("columns"),
                 e.at("bits_stored"),
                 e.at("spacing_mm").at(0),
                 e.at("spacing_mm").at(1),
                 e.at("modality"),
                 e.at("photometric"),
                 e.at("transfer_syntax"),
                 e.at("label"),
                 e.at("split"),
                 e.at("groups").get<std::map<std::string, std::string>>()};
    index.entries.push_back(std::move(d));
  }
  for (const auto& s : j.at("skipped")) index.skipped.push_back({s.at("path"), s.at("reason")});
  return index;
}

}  // namespace pathodino::data
