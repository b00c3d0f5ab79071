// ImageFolderSource: ordinary images (PNG/JPEG: pre-cut tiles, chest X-rays, a labelled tile set)
// from a folder or a CSV. Layouts, tried in this order:
//   ROOT/train/<class>/…, ROOT/val/<class>/…  labelled, with the two splits (kNN bank / queries);
//   ROOT/<class>/…                            labelled, one split (train);
//   ROOT/*.png plus any subfolders             unlabelled images (any depth);
//   FILE.csv with a `path` column (relative to the CSV), an optional `label` column, an optional
//            `split` column (train, val: then the CSV has both splits) and any other columns
//            (site, scanner, patient…) as group columns.
// Files are sorted by path and classes by name, so index i is the same file on every rank.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "data/image_source.h"

namespace pathodino::data {

class ImageFolderSource final : public ImageSource {
 public:
  // Throws std::runtime_error naming the folder when it holds no image or lacks the split.
  ImageFolderSource(const std::filesystem::path& root, Split split);
  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  LabelledImage read(int64_t index) const override;  // ImageFileError names a bad file
  std::vector<std::string> class_names() const override { return classes_; }
  std::string describe() const override;
  // Where image `index` is, relative to the folder (or the CSV's folder) the source was made from.
  std::filesystem::path relative_path(int64_t index) const;
  int64_t label(int64_t index) const { return labels_.at(static_cast<size_t>(index)); }
  std::optional<std::vector<std::string>> group_values(const std::string& column) const override;

 private:
  void list_folder(const std::filesystem::path& folder);
  void list_csv(const std::filesystem::path& csv, Split split);

  std::filesystem::path root_;
  std::filesystem::path base_;  // what relative_path() is relative to: the folder, or the CSV's
  std::vector<std::filesystem::path> files_;
  std::vector<int64_t> labels_;
  std::vector<std::string> classes_;
  std::map<std::string, std::vector<std::string>> groups_;  // CSV column -> value per image
};

}  // namespace pathodino::data
