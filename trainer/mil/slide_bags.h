// The slides of a slide-level task: each slide's tile embeddings (the folder `pathodino embed`
// wrote: one HDF5 file per slide and manifest.csv) with its label and patient from a slide
// manifest (the CSV the index was built from: `path` plus the label and patient columns). Slides
// are matched by name (the file stem of `path`, or its pseudonym: Note [Pseudonyms]). Refused,
// naming the file and what is wrong: a label column the manifest lacks, labels of one class, files
// of another backbone than the one named or of mixed backbones. Skipped and counted: slides without
// a label, without tiles, or without a file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <torch/types.h>

#include "data/index/pseudonyms.h"
#include "trainer/system/aes_gcm.h"

namespace pathodino::mil {

struct SlideBag {
  std::string slide, patient, path;  // path: the slide file, as the manifest gives it
  int64_t label = 0;
  torch::Tensor features;        // [tiles, dim] fp32
  std::vector<int64_t> coords;   // tiles × 2, level-0 x, y
  int64_t tile_size_level0 = 0;  // level-0 pixels per tile side
};

struct BagSetOptions {
  std::filesystem::path embeddings, manifest;
  std::string label_column = "label", patient_column = "patient";
  std::string backbone_sha256;                   // when set, every file must be of this backbone
  std::optional<system::AesKey> encryption_key;  // of encrypted feature files
  // Files named by pseudonym (embed under privacy.pseudonymise); slides and patients named so.
  std::optional<data::Pseudonyms> pseudonyms;
};

struct BagSet {
  std::vector<SlideBag> bags;
  std::vector<std::string> classes;  // sorted label values; bag.label indexes them
  std::string backbone, backbone_sha256;
  bool by_patient = false;  // the manifest had the patient column
  int64_t unlabelled = 0, without_tiles = 0, without_file = 0;
};

BagSet load_bags(const BagSetOptions& options);

}  // namespace pathodino::mil
