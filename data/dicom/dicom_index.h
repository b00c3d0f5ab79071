// A DICOM index: every 2-D grayscale image of a folder or CSV manifest with its metadata, read once
// from the headers (no pixel data), and every other object skipped with its reason. Training and
// kNN sources read images through it (data/source/dicom_source.h); ranks share its entries.
// Layouts, as image folders have them:
//   ROOT/train/<class>/…, ROOT/val/<class>/…  labelled, with the two splits;
//   ROOT/<class>/…                            labelled, one split (train);
//   ROOT/… files at the top level             unlabelled (any depth below);
//   FILE.csv with a `path` column (relative to the CSV), optional `label` and `split` columns and
//            any other columns (site, scanner…) as group columns.
// Files are DICOM by their preamble ("DICM" at byte 128), whatever their names.
//
// Patient and study IDs (from the files' tags) are kept only as keyed pseudonyms, and only when a
// pseudonym key is given (Note [Pseudonyms]); no other identifying tag is read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "data/index/pseudonyms.h"

namespace pathodino::data {

// A DICOM index file's extension: what tells an evaluation set that is one from a tile index.
inline constexpr const char* kDicomIndexExtension = ".pdcm";

struct DicomEntry {
  std::string path;  // as the index was built from: absolute, or relative to where it ran
  int64_t rows = 0, columns = 0, bits_stored = 0;
  double spacing_row_mm = 0, spacing_column_mm = 0;  // 0: the file records none
  std::string modality, photometric, transfer_syntax;
  std::string label, split = "train";         // label empty: unlabelled
  std::map<std::string, std::string> groups;  // CSV columns; patient, study as pseudonyms
};

struct DicomSkip {
  std::string path, reason;
};

struct DicomIndex {
  std::vector<DicomEntry> entries;
  std::vector<DicomSkip> skipped;
  std::vector<std::string> classes;  // sorted labels
};

// Throws std::runtime_error naming the source when it lists no file or a CSV lacks `path`.
DicomIndex build_dicom_index(const std::filesystem::path& source, const Pseudonyms* pseudonyms);

void write_dicom_index(const DicomIndex& index, const std::filesystem::path& file);
// Throws std::runtime_error naming the file when it is not a DICOM index.
DicomIndex read_dicom_index(const std::filesystem::path& file);

}  // namespace pathodino::data
