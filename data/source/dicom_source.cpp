#include "data/source/dicom_source.h"

#include <iostream>

#include "data/seed_mix.h"

namespace pathodino::data {
namespace {

// An image that fails to read (changed or removed since indexing) is skipped and another drawn
// in its place, deterministically from its position; after this many tries the read fails.
constexpr int64_t kStandIns = 8;

}  // namespace

DicomSource::DicomSource(const std::filesystem::path& index_file, Split split,
                         DicomReadOptions options, const Pseudonyms* pseudonyms, int rank)
    : file_(index_file),
      options_(options),
      warning_prefix_(rank >= 0 ? "warning: rank " + std::to_string(rank) + ": " : "warning: ") {
  if (pseudonyms) pseudonyms_ = *pseudonyms;
  DicomIndex index = read_dicom_index(index_file);
  const std::string wanted = split == Split::val ? "val" : "train";
  classes_ = index.classes;
  for (DicomEntry& e : index.entries) {
    if (e.split != wanted) continue;
    const auto c = std::lower_bound(classes_.begin(), classes_.end(), e.label);
    labels_.push_back(e.label.empty() || c == classes_.end() || *c != e.label
                          ? -1
                          : static_cast<int64_t>(c - classes_.begin()));
    entries_.push_back(std::move(e));
  }
  if (entries_.empty())
    throw std::runtime_error(index_file.string() + ": no " + wanted + " image in the DICOM index");
}

LabelledImage DicomSource::read(int64_t i) const {
  int64_t candidate = i;
  for (int64_t probe = 0;; ++probe) {
    try {
      const auto at = static_cast<size_t>(candidate);
      return {read_dicom_image(entries_.at(at).path, options_), labels_[at]};
    } catch (const DicomError& e) {
      const std::string& path = entries_[static_cast<size_t>(candidate)].path;
      const std::string what =
          pseudonyms_ ? scrub(e.what(), {{path, pseudonyms_->image(path)}}) : std::string(e.what());
      if (probe >= kStandIns) throw DicomError(what);  // the run's error names no path either
      if (skipped_++ == 0) std::cerr << warning_prefix_ + what + "; another image stands in\n";
    }
    candidate = static_cast<int64_t>(
        mix_seed({static_cast<uint64_t>(i), static_cast<uint64_t>(probe)}) % entries_.size());
  }
}

std::string DicomSource::describe() const {
  return "DICOM images from " + file_.string() + ": " + std::to_string(entries_.size()) +
         " images" + (classes_.empty() ? "" : ", " + std::to_string(classes_.size()) + " classes");
}

std::optional<std::vector<std::string>> DicomSource::group_values(const std::string& column) const {
  std::vector<std::string> values;
  bool any = false;
  for (const DicomEntry& e : entries_) {
    const auto it = e.groups.find(column);
    any = any || it != e.groups.end();
    values.push_back(it == e.groups.end() ? "" : it->second);
  }
  if (!any) return std::nullopt;
  return values;
}

}  // namespace pathodino::data
