// DicomSource: the images of a DICOM index (data/dicom/dicom_index.h) of one split, rendered to
// 8-bit grayscale as RGB (Note [X-ray intensities]) for the augmentation and the backbone, with
// their labels and the index's group columns (site, patient and study pseudonyms…).
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/dicom/dicom_image.h"
#include "data/dicom/dicom_index.h"
#include "data/image_source.h"
#include "data/index/pseudonyms.h"

namespace pathodino::data {

class DicomSource final : public ImageSource {
 public:
  // Throws std::runtime_error naming the index when the split holds no image. A failed read is
  // named in a warning (of `rank` when >= 0) by its path, or with `pseudonyms` by its image
  // pseudonym (Note [Pseudonyms]).
  DicomSource(const std::filesystem::path& index_file, Split split, DicomReadOptions options,
              const Pseudonyms* pseudonyms = nullptr, int rank = -1);
  int64_t size() const override { return static_cast<int64_t>(entries_.size()); }
  LabelledImage read(int64_t index) const override;  // DicomError names a bad file
  std::vector<std::string> class_names() const override { return classes_; }
  std::string describe() const override;
  SourceHealth health() const override { return {skipped_.load(), 0}; }
  std::optional<std::vector<std::string>> group_values(const std::string& column) const override;

 private:
  std::filesystem::path file_;
  std::vector<DicomEntry> entries_;
  std::vector<int64_t> labels_;
  std::vector<std::string> classes_;
  DicomReadOptions options_;
  std::optional<Pseudonyms> pseudonyms_;
  std::string warning_prefix_;
  mutable std::atomic<int64_t> skipped_{0};  // reads that failed and were stood in for
};

}  // namespace pathodino::data
