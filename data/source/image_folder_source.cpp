#include "data/source/image_folder_source.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <stdexcept>

#include "data/csv_line.h"
#include "data/image_file/image_file.h"

namespace pathodino::data {
namespace fs = std::filesystem;
namespace {

std::vector<fs::path> images_under(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(folder))
    if (entry.is_regular_file() && is_image_file_name(entry.path())) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

ImageFolderSource::ImageFolderSource(const fs::path& root, Split split) : root_(root) {
  if (!fs::exists(root)) throw std::runtime_error(root.string() + ": no such folder or CSV");
  base_ = fs::is_regular_file(root) ? root.parent_path() : root;
  const char* split_name = split == Split::train ? "train" : "val";
  if (fs::is_regular_file(root)) {
    list_csv(root, split);
  } else if (fs::is_directory(root / "train") && fs::is_directory(root / "val")) {
    list_folder(root / split_name);
  } else if (split == Split::val) {
    throw std::runtime_error(root.string() + ": no val/ folder (a labelled set for kNN needs " +
                             "train/<class>/ and val/<class>/)");
  } else {
    list_folder(root);
  }
  if (files_.empty())
    throw std::runtime_error(root.string() + ": no PNG or JPEG image found" +
                             (fs::is_directory(root) ? std::string(" under ") + split_name : ""));
}

void ImageFolderSource::list_folder(const fs::path& folder) {
  // Images directly in the folder: an unlabelled set (subfolders are just more images).
  std::vector<fs::path> class_dirs;
  bool loose_images = false;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.is_directory()) class_dirs.push_back(entry.path());
    loose_images = loose_images || (entry.is_regular_file() && is_image_file_name(entry.path()));
  }
  if (loose_images) class_dirs.clear();
  std::sort(class_dirs.begin(), class_dirs.end());
  for (const fs::path& dir : class_dirs) {
    const std::vector<fs::path> files = images_under(dir);
    if (files.empty()) continue;
    classes_.push_back(dir.filename().string());
    for (const fs::path& f : files) {
      files_.push_back(f);
      labels_.push_back(static_cast<int64_t>(classes_.size()) - 1);
    }
  }
  if (!classes_.empty()) return;
  files_ = images_under(folder);
  labels_.assign(files_.size(), -1);
}

namespace {

// A CSV image list: its header, the column of each role (-1: absent) and the rows of one split.
struct CsvRows {
  std::vector<std::string> header;
  int path = -1, label = -1, split = -1;
  std::vector<std::vector<std::string>> rows;
  bool is_group(size_t c) const {
    const int i = static_cast<int>(c);
    return i != path && i != label && i != split;
  }
};

CsvRows read_csv_rows(const fs::path& csv, Split split) {
  std::ifstream in(csv);
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error(csv.string() + ": empty CSV");
  CsvRows t;
  t.header = split_csv_line(line);
  const auto column = [&](const std::string& name) {
    const auto it = std::find(t.header.begin(), t.header.end(), name);
    return it == t.header.end() ? -1 : static_cast<int>(it - t.header.begin());
  };
  t.path = column("path"), t.label = column("label"), t.split = column("split");
  if (t.path < 0) throw std::runtime_error(csv.string() + ": no `path` column in the header");
  if (split == Split::val && t.split < 0)
    throw std::runtime_error(csv.string() + ": no val split (a `split` column with train and val)");
  const char* wanted = split == Split::train ? "train" : "val";
  for (int64_t row = 2; std::getline(in, line); ++row) {
    if (line.empty()) continue;
    std::vector<std::string> cells = split_csv_line(line);
    if (cells.size() != t.header.size())
      throw std::runtime_error(csv.string() + ":" + std::to_string(row) + ": " +
                               std::to_string(cells.size()) + " cells, the header has " +
                               std::to_string(t.header.size()));
    if (t.split < 0 || cells[t.split] == wanted) t.rows.push_back(std::move(cells));
  }
  return t;
}

}  // namespace

void ImageFolderSource::list_csv(const fs::path& csv, Split split) {
  const CsvRows t = read_csv_rows(csv, split);
  const auto label_of = [&](const std::vector<std::string>& cells) {
    return t.label >= 0 ? cells[t.label] : std::string();
  };
  std::map<std::string, int64_t> class_ids;
  for (const auto& cells : t.rows)
    if (!label_of(cells).empty()) class_ids.emplace(label_of(cells), 0);
  for (auto& [name, id] : class_ids) {
    id = static_cast<int64_t>(classes_.size());
    classes_.push_back(name);
  }
  for (const auto& cells : t.rows) {
    const fs::path file(cells[t.path]);
    files_.push_back(file.is_absolute() ? file : csv.parent_path() / file);
    labels_.push_back(label_of(cells).empty() ? -1 : class_ids.at(label_of(cells)));
    for (size_t c = 0; c < t.header.size(); ++c)
      if (t.is_group(c)) groups_[t.header[c]].push_back(cells[c]);
  }
}

std::optional<std::vector<std::string>> ImageFolderSource::group_values(
    const std::string& column) const {
  const auto it = groups_.find(column);
  if (it == groups_.end()) return std::nullopt;
  return it->second;
}

LabelledImage ImageFolderSource::read(int64_t index) const {
  return {read_image_file(files_.at(static_cast<size_t>(index))),
          labels_[static_cast<size_t>(index)]};
}

fs::path ImageFolderSource::relative_path(int64_t index) const {
  return files_.at(static_cast<size_t>(index)).lexically_relative(base_);
}

std::string ImageFolderSource::describe() const {
  return "image files under " + root_.string() + ": " + std::to_string(files_.size()) + " images" +
         (classes_.empty() ? std::string(", unlabelled")
                           : ", " + std::to_string(classes_.size()) + " classes");
}

}  // namespace pathodino::data
