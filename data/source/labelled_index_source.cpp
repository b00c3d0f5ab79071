#include "data/source/labelled_index_source.h"

#include <algorithm>
#include <set>

namespace pathodino::data {

LabelledIndexSource::LabelledIndexSource(std::shared_ptr<const TileIndex> index,
                                         const std::string& label_column, Split split,
                                         WsiReadOptions options)
    : tiles_source_(index, options), label_column_(label_column), split_(split) {
  const std::string wanted = split == Split::train ? "train" : "val";
  const auto value = [](const IndexedSlide& slide, const std::string& column) {
    const auto it = slide.groups.find(column);
    return it == slide.groups.end() ? std::string() : it->second;
  };
  std::set<std::string> names;
  for (const IndexedSlide& slide : index->slides())
    if (!value(slide, label_column).empty()) names.insert(value(slide, label_column));
  if (names.empty())
    throw IndexError(index->file().string() + ": no slide has a value in the label column '" +
                     label_column + "' (eval.knn_label_column; the manifest's columns become the " +
                     "index's groups)");
  classes_.assign(names.begin(), names.end());
  std::vector<int64_t> slide_class;  // -1: not in this split or unlabelled
  for (const IndexedSlide& slide : index->slides()) {
    const std::string label = value(slide, label_column);
    const bool in_split = !label.empty() && value(slide, "split") == wanted;
    slide_class.push_back(in_split ? std::lower_bound(classes_.begin(), classes_.end(), label) -
                                         classes_.begin()
                                   : -1);
    slides_ += in_split ? 1 : 0;
  }
  for (int64_t i = 0; i < index->size(); ++i) {
    const int64_t c = slide_class[index->grids()[index->tile(i).grid].slide];
    if (c < 0) continue;
    tiles_.push_back(i);
    labels_.push_back(c);
  }
  if (tiles_.empty())
    throw IndexError(index->file().string() + ": no labelled tiles in the " + wanted +
                     " split: the manifest needs a 'split' column with train and val slides");
}

LabelledImage LabelledIndexSource::read(int64_t i) const {
  LabelledImage item = tiles_source_.read(tiles_[static_cast<size_t>(i)]);
  item.label = labels_[static_cast<size_t>(i)];
  return item;
}

std::optional<std::vector<std::string>> LabelledIndexSource::group_values(
    const std::string& column) const {
  const TileIndex& index = tiles_source_.index();
  const auto& slides = index.slides();
  if (std::none_of(slides.begin(), slides.end(),
                   [&](const IndexedSlide& s) { return s.groups.contains(column); }))
    return std::nullopt;
  std::vector<std::string> values;
  for (const int64_t tile : tiles_) {
    const IndexedSlide& slide = slides[index.grids()[index.tile(tile).grid].slide];
    const auto it = slide.groups.find(column);
    values.push_back(it == slide.groups.end() ? std::string() : it->second);
  }
  return values;
}

std::string LabelledIndexSource::describe() const {
  return "labelled tiles of " + tiles_source_.index().file().string() + " (" +
         (split_ == Split::train ? "train" : "val") + "): " + std::to_string(tiles_.size()) +
         " tiles of " + std::to_string(slides_) + " slide(s), " + std::to_string(classes_.size()) +
         " classes from column '" + label_column_ + "'";
}

}  // namespace pathodino::data
