// Embeds every tile of a tile index (or every image of an image folder) with a backbone: one
// HDF5 feature file per slide or image group (embed_jobs.h, feature_file.h) in `out_dir`, files
// shared across ranks (file j on rank j % world), each tile resized to `image_size` and
// normalised as evaluation does (eval/embed.h), the CLS token L2-normalised. The next batch is
// read while the backbone runs, across file boundaries (eval/batch_read_ahead.h). Files appear
// whole or not at all, so a job killed at any instant and run again redoes only the files not
// written. No tile is replaced by another: a slide with an unreadable tile is reported as failed
// and the others go on.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "data/index/pseudonyms.h"
#include "models/vit/vision_transformer.h"
#include "trainer/distributed/communicator.h"
#include "trainer/system/aes_gcm.h"

namespace pathodino::embed {

struct EmbedRequest {
  std::filesystem::path index;   // a tile index, or
  std::filesystem::path images;  // an image folder or CSV (image_folder_source.h)
  int64_t images_per_file = 10000;
  std::filesystem::path out_dir;
  std::filesystem::path backbone_file;  // named in every file with its SHA-256
  int64_t image_size = 224;
  std::vector<double> mean{0.485, 0.456, 0.406}, std{0.229, 0.224, 0.225};
  int64_t batch_size = 64;
  int64_t read_threads = 1;     // threads reading the next batch while the backbone runs
  int64_t forward_threads = 1;  // parts of each batch run side by side (eval/embed.h)
  // Files are written encrypted with it (Note [Encrypted feature files]).
  std::optional<system::AesKey> encryption_key;
  // Slide files, progress and failures name slides by pseudonym (Note [Pseudonyms]).
  std::optional<data::Pseudonyms> pseudonyms;
};

// One slide's line of the manifest: status is "embedded", "kept" (its file was already there),
// "empty" (no tile: an empty file) or "failed: <reason>".
struct SlideOutcome {
  std::string slide, file, status;
  int64_t tiles = 0;
  double seconds = 0;
};

// Progress of a rank: called after each of its slides with the slides done and to do.
using EmbedProgress = std::function<void(const SlideOutcome&, int64_t done, int64_t total)>;

// Every rank calls it; rank 0 returns every slide's outcome in index order (the others their
// own). Throws, before any work, naming the file: an existing feature file that another backbone
// or tile size made, two slides with the same file name.
std::vector<SlideOutcome> embed_archive(models::VisionTransformer& backbone,
                                        const EmbedRequest& request,
                                        distributed::Communicator& comm,
                                        const EmbedProgress& progress = {});

// manifest.csv: slide, file, tiles, status, seconds; written atomically.
void write_manifest(const std::filesystem::path& file, const std::vector<SlideOutcome>& outcomes);

}  // namespace pathodino::embed
