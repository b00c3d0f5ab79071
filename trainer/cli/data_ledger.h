// A checkpoint's data ledger (Note [Data ledger], data/index/draw_ledger.h) read back for the
// `audit ledger|used` commands, and the guard every `eval` command runs with it: a labelled set
// whose slides (by content hash) or patients trained the backbone is refused.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "data/image_source.h"
#include "data/index/draw_ledger.h"
#include "data/index/tile_index.h"
#include "trainer/checkpoint/checkpoint_manifest.h"
#include "trainer/config/experiment_config.h"

namespace CLI {
class App;
}

namespace pathodino::cli {

struct Ledger {
  checkpoint::Manifest manifest;
  std::shared_ptr<const data::ImageSource> source;  // keeps the index open
  const data::TileIndex* index = nullptr;
  data::SlideDraws draws;
};

// Throws std::runtime_error naming the file at fault: no ledger in the manifest, a tile index that
// is no longer the one trained on, a config that does not match its hash.
Ledger read_ledger(const std::filesystem::path& checkpoint_dir);
// The same with its manifest already read.
Ledger read_ledger(const std::filesystem::path& checkpoint_dir, checkpoint::Manifest manifest);

// The checkpoint whose ledger covers `backbone`: `explicit_checkpoint` when given, else the latest
// of the run folder the backbone was exported into (RUN/teacher_backbone.safetensors next to
// RUN/checkpoints); nullopt when there is none.
std::optional<std::filesystem::path> ledger_for_backbone(const std::string& backbone,
                                                         const std::string& explicit_checkpoint);

// Throws std::runtime_error naming the slide, its patient and the checkpoint when a slide of the
// labelled set (eval.knn_dataset, when it is a tile index) was drawn in training, or shares a
// patient (data.wsi.patient_column) with a slide that was. Image folders name no slide: nothing
// to compare, nothing refused.
void refuse_ledger_overlap(const ExperimentConfig& config, const std::filesystem::path& checkpoint);

// What --ledger CKPT and --allow-overlap ask of a command that scores a labelled set.
struct LedgerGuard {
  std::string ledger;  // the checkpoint; empty: found from the backbone (ledger_for_backbone)
  bool allow_overlap = false;
  // refuse_ledger_overlap against the backbone's ledger, unless allowed or there is none.
  void check(const ExperimentConfig& config, const std::string& backbone) const;
};
void add_ledger_options(CLI::App& command, LedgerGuard& guard);

}  // namespace pathodino::cli
