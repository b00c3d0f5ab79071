// One slide's tile embeddings as an HDF5 file, in the layout CLAM- and TRIDENT-style slide-level
// code reads:
//   features  [N, D] float32   one row per tile
//   coords    [N, 2] int64     level-0 pixel of each tile's top-left corner (x, y); attributes
//                              patch_size (pixels at the target µm/px), patch_size_level0
//   attributes of the file     the slide's name, tile size, target and level-0 µm/px, the
//                              backbone's file and SHA-256, its width, the pathodino version
// A file of ordinary images (an image folder's group) has, instead of coords:
//   paths     [N] string       each image's path, relative to the folder (or CSV) embedded
//   labels    [N] int64        its class, -1 when unlabelled; class_names [C] string
// Written to a temporary name in the same folder, fsync'ed and renamed: a reader (or a resumed
// job) sees the whole file or none. No LibTorch.
//
// Note [Encrypted feature files]: given an AES-256 key, the same HDF5 file is built in memory
// and written as an encrypted file (Note [Encrypted files]) whose authenticated data is
// "pathodino feature file " + the file's name: an altered file, another key, or two slides'
// files swapped (renamed into each other's place) are refused naming the file. A reader given a
// key refuses a plain file (one put in place of an encrypted file); without a key it refuses an
// encrypted one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "trainer/system/aes_gcm.h"

namespace pathodino::features {

struct FeatureFileInfo {
  std::string slide;  // the slide's name (its file stem)
  int64_t tiles = 0, dim = 0;
  int64_t tile_size = 0;         // pixels at target_mpp
  int64_t tile_size_level0 = 0;  // level-0 pixels per tile side
  double target_mpp = 0, level0_mpp = 0;
  std::string backbone, backbone_sha256, pathodino_version;
};

struct SlideFeatures {
  FeatureFileInfo info;
  std::vector<float> features;  // tiles × dim, row-major
  std::vector<int64_t> coords;  // tiles × 2: x, y; empty for images
  // Images instead of tiles: one path and label per row (then no coords).
  std::vector<std::string> paths;
  std::vector<int64_t> labels;
  std::vector<std::string> class_names;
};

// An HDF5 file that cannot be written or read as a feature file; what() names it.
class FeatureFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// With `key`, the file is written encrypted (Note [Encrypted feature files]).
void write_feature_file(const std::filesystem::path& file, const SlideFeatures& slide,
                        const system::AesKey* key = nullptr);
// Reads an encrypted file with `key`, a plain one without; throws FeatureFileError naming the
// file otherwise, and for a wrong key or an altered file.
FeatureFileInfo read_feature_file_info(const std::filesystem::path& file,
                                       const system::AesKey* key = nullptr);
SlideFeatures read_feature_file(const std::filesystem::path& file,
                                const system::AesKey* key = nullptr);

// Removes the temporary `*.h5.tmp.<pid>` files a writer killed mid-write left in `dir` (never a
// slide file). Call it before writing, when no other writer uses the folder.
void remove_unfinished_writes(const std::filesystem::path& dir);

}  // namespace pathodino::features
