#include "trainer/cli/data_ledger.h"

#include <CLI/CLI.hpp>

#include <map>
#include <set>
#include <stdexcept>

#include "data/dicom/dicom_index.h"
#include "data/index/pseudonyms.h"
#include "data/source/source_factory.h"
#include "data/source/wsi_tile_source.h"
#include "trainer/checkpoint/checkpoint_reader.h"
#include "trainer/cli/key_files.h"
#include "trainer/config/resolve.h"
#include "trainer/distributed/rank_consistency.h"
#include "trainer/system/sha256.h"

namespace pathodino::cli {
namespace {

// The config the checkpoint was written with, checked against the manifest's hash of it.
ExperimentConfig checkpoint_config(const std::filesystem::path& dir,
                                   const checkpoint::Manifest& manifest) {
  if (distributed::checksum(manifest.config_yaml) != manifest.config_hash)
    throw std::runtime_error((dir / checkpoint::kManifestFile).string() +
                             ": the config does not match its hash");
  return config::resolve_config(dir / "config.yaml");
}

}  // namespace

Ledger read_ledger(const std::filesystem::path& dir) {
  return read_ledger(dir, checkpoint::read_manifest(dir));
}

Ledger read_ledger(const std::filesystem::path& dir, checkpoint::Manifest manifest) {
  Ledger l;
  l.manifest = std::move(manifest);
  const auto index_file = l.manifest.data.find("tile_index");
  const auto index_sha = l.manifest.data.find("tile_index_sha256");
  if (index_file == l.manifest.data.end() || index_sha == l.manifest.data.end())
    throw std::runtime_error((dir / checkpoint::kManifestFile).string() +
                             ": no data ledger (a run without a tile index, or written before "
                             "checkpoints carried one)");
  if (system::file_sha256(index_file->second) != index_sha->second)
    throw std::runtime_error(index_file->second +
                             ": not the tile index this checkpoint was trained on (its SHA-256 "
                             "differs from the one recorded in " +
                             (dir / checkpoint::kManifestFile).string() + ")");
  ExperimentConfig config = checkpoint_config(dir, l.manifest);
  config.data.wsi.index = index_file->second;
  const uint64_t seed = l.manifest.sampler.seed;
  l.source = data::make_image_source(config.data, seed, data::Split::train);
  l.index = &dynamic_cast<const data::WsiTileSource&>(*l.source).index();
  const data::SampleOrderChoice order = data::make_sample_order(config.data, *l.source, seed);
  l.draws = data::count_draws(*order.order, *l.index, l.manifest.sampler.position);
  return l;
}

std::optional<std::filesystem::path> ledger_for_backbone(const std::string& backbone,
                                                         const std::string& explicit_checkpoint) {
  if (!explicit_checkpoint.empty()) return std::filesystem::path(explicit_checkpoint);
  if (backbone.empty()) return std::nullopt;
  const std::filesystem::path checkpoints =
      std::filesystem::path(backbone).parent_path() / "checkpoints";
  if (!std::filesystem::is_directory(checkpoints)) return std::nullopt;
  try {
    return checkpoint::resolve_checkpoint_path(checkpoints);
  } catch (const std::exception&) {
    return std::nullopt;  // a folder without a complete checkpoint
  }
}

namespace {

// The slides (by content hash) and patients a ledger drew from.
struct Drawn {
  std::set<std::string> slides, patients;
};

Drawn drawn_from(const Ledger& ledger, const std::string& column) {
  Drawn drawn;
  for (size_t s = 0; s < ledger.index->slides().size(); ++s) {
    if (ledger.draws.draws[s] == 0) continue;
    const data::IndexedSlide& slide = ledger.index->slides()[s];
    drawn.slides.insert(slide.content_hash);
    if (const auto p = slide.groups.find(column); p != slide.groups.end() && !p->second.empty())
      drawn.patients.insert(p->second);
  }
  return drawn;
}

}  // namespace

void refuse_ledger_overlap(const ExperimentConfig& config,
                           const std::filesystem::path& checkpoint) {
  const std::filesystem::path& set = config.eval.knn_dataset;
  // Image folders, CSVs and DICOM indexes name no slide: only a tile index is checked.
  if (!std::filesystem::is_regular_file(set) || set.extension() == ".csv" ||
      set.extension() == data::kDicomIndexExtension)
    return;
  checkpoint::Manifest manifest = checkpoint::read_manifest(checkpoint);
  if (manifest.data.empty()) return;  // trained on no tile index
  const std::string& column = config.data.wsi.patient_column;
  const Drawn drawn = drawn_from(read_ledger(checkpoint, std::move(manifest)), column);
  const data::TileIndex labelled(set);
  const auto pseudonyms = pseudonyms_of(config.privacy);  // the refusal names them so
  for (const data::IndexedSlide& slide : labelled.slides()) {
    const auto p = slide.groups.find(column);
    const std::string patient = p == slide.groups.end() ? "" : p->second;
    const bool same_slide = drawn.slides.count(slide.content_hash) > 0;
    if (!same_slide && (patient.empty() || drawn.patients.count(patient) == 0)) continue;
    throw std::runtime_error(
        set.string() + ": slide " +
        (pseudonyms ? data::slide_pseudonym(*pseudonyms, slide) : slide.path) +
        (patient.empty()
             ? ""
             : " (" + column + " " + (pseudonyms ? pseudonyms->patient(patient) : patient) + ")") +
        (same_slide ? " was drawn in training"
                    : ": a slide of the same patient was drawn in training") +
        " (data ledger of " + checkpoint.string() +
        "); evaluating on it would leak. Pass --allow-overlap to score anyway");
  }
}

void LedgerGuard::check(const ExperimentConfig& config, const std::string& backbone) const {
  if (allow_overlap) return;
  if (const auto checkpoint = ledger_for_backbone(backbone, ledger))
    refuse_ledger_overlap(config, *checkpoint);
}

void add_ledger_options(CLI::App& command, LedgerGuard& guard) {
  command.add_option("--ledger", guard.ledger,
                     "checkpoint whose data ledger the labelled set must not overlap (default: "
                     "the latest checkpoint of the backbone's run folder)");
  command.add_flag("--allow-overlap", guard.allow_overlap,
                   "score a labelled set even when its slides or patients trained the backbone");
}

}  // namespace pathodino::cli
