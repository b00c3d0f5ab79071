#include "trainer/embed/embed_archive.h"

#include <fmt/format.h>

#include <chrono>
#include <exception>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "data/csv_line.h"
#include "data/source/source_factory.h"
#include "trainer/distributed/rank_consistency.h"
#include "trainer/embed/embed_jobs.h"
#include "trainer/eval/embed.h"
#include "trainer/features/feature_file.h"
#include "trainer/system/durable_file.h"
#include "trainer/system/sha256.h"

namespace pathodino::embed {
namespace {

using features::FeatureFileError;
using features::FeatureFileInfo;
using features::SlideFeatures;

const system::AesKey* encryption_key(const EmbedRequest& request) {
  return request.encryption_key ? &*request.encryption_key : nullptr;
}

// true: the file is there from an earlier run of this job. Throws for a file another backbone or
// tile size made: mixing them in one folder would give slide-level code incomparable features;
// and for a plain file in a job that encrypts, or the reverse (Note [Encrypted feature files]).
bool already_embedded(const std::filesystem::path& file, const FeatureFileInfo& wanted,
                      const system::AesKey* key) {
  if (!std::filesystem::exists(file)) return false;
  const FeatureFileInfo found = features::read_feature_file_info(file, key);
  const auto refuse = [&](const std::string& what, const std::string& theirs,
                          const std::string& ours) {
    throw FeatureFileError(file.string() + ": made with " + what + " " + theirs +
                           ", this job uses " + ours + ": write to another folder");
  };
  if (found.backbone_sha256 != wanted.backbone_sha256)
    refuse("backbone", found.backbone + " (sha256 " + found.backbone_sha256.substr(0, 12) + ")",
           wanted.backbone + " (sha256 " + wanted.backbone_sha256.substr(0, 12) + ")");
  if (found.tile_size != wanted.tile_size || found.target_mpp != wanted.target_mpp)
    refuse("tiles of", fmt::format("{} px at {:g} µm/px", found.tile_size, found.target_mpp),
           fmt::format("{} px at {:g} µm/px", wanted.tile_size, wanted.target_mpp));
  return found.tiles == wanted.tiles && found.dim == wanted.dim;
}

// The images and jobs of a request: a tile index's slides, or an image folder's groups.
struct JobPlan {
  std::shared_ptr<const data::TileIndex> index;
  std::unique_ptr<data::WsiTileSource> tiles;
  std::vector<std::unique_ptr<data::ImageFolderSource>> folders;
  std::vector<EmbedJob> jobs;
  std::vector<std::pair<std::string, std::string>> names;  // slide paths to scrub from failures
};

JobPlan plan_jobs(const EmbedRequest& request, const FeatureFileInfo& common) {
  JobPlan plan;
  if (!request.index.empty()) {
    plan.index = std::make_shared<const data::TileIndex>(request.index);
    const data::Pseudonyms* pseudonyms = request.pseudonyms ? &*request.pseudonyms : nullptr;
    if (pseudonyms) plan.names = data::pseudonym_names(*plan.index, *pseudonyms);
    data::WsiReadOptions read_options;
    read_options.max_stand_ins = 0;  // a tile that cannot be read fails its slide
    if (pseudonyms) read_options.pool.warn = data::slide_warnings(*plan.index, -1, pseudonyms);
    plan.tiles = std::make_unique<data::WsiTileSource>(plan.index, read_options);
    plan.jobs = jobs_for_index(*plan.tiles, common, pseudonyms);
    return plan;
  }
  namespace fs = std::filesystem;
  plan.folders.push_back(
      std::make_unique<data::ImageFolderSource>(request.images, data::Split::train));
  if (fs::is_directory(request.images / "train") && fs::is_directory(request.images / "val"))
    plan.folders.push_back(
        std::make_unique<data::ImageFolderSource>(request.images, data::Split::val));
  std::vector<const data::ImageFolderSource*> sources;
  for (const auto& f : plan.folders) sources.push_back(f.get());
  plan.jobs = jobs_for_images(sources, common, request.image_size, request.images_per_file);
  return plan;
}

// The features of the next list of `reader` (which must be `list`): every batch of it is taken,
// even after a failure, so the next job starts at its own first batch. Rethrows the first error.
std::vector<float> collect_features(models::VisionTransformer& backbone,
                                    eval::BatchReadAhead& reader, size_t list,
                                    const EmbedRequest& request) {
  std::vector<float> features;
  std::exception_ptr error;
  for (bool last = false; !last;) {
    std::optional<eval::ImageBatch> batch = reader.next();
    if (!batch || batch->list != list)
      throw std::logic_error("embed: the read-ahead is out of step with the jobs");
    last = batch->last;
    if (error) continue;
    if (batch->error) {
      error = batch->error;
      continue;
    }
    try {
      const torch::Tensor f = eval::embed_batch(backbone, batch->images, request.mean, request.std,
                                                request.forward_threads)
                                  .contiguous();
      features.insert(features.end(), f.data_ptr<float>(), f.data_ptr<float>() + f.numel());
    } catch (...) {
      error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
  return features;
}

// Runs this rank's jobs (`mine`, positions in `jobs`) in order; the kept ones only report.
std::vector<SlideOutcome> run_jobs(models::VisionTransformer& backbone, const JobPlan& plan,
                                   const std::vector<size_t>& mine, const std::vector<bool>& kept,
                                   const EmbedRequest& request, const EmbedProgress& progress) {
  const std::vector<EmbedJob>& jobs = plan.jobs;
  std::vector<eval::ImageList> lists;
  for (const size_t j : mine)
    if (!kept[j]) lists.push_back(jobs[j].images);
  eval::BatchReadAhead reader(std::move(lists), request.image_size, request.batch_size,
                              request.read_threads);
  const bool was_training = backbone->is_training();
  backbone->eval();
  std::vector<SlideOutcome> outcomes;
  size_t list = 0;
  for (const size_t j : mine) {
    const EmbedJob& job = jobs[j];
    const auto start = std::chrono::steady_clock::now();
    SlideOutcome outcome{job.name, job.file(), "kept", job.content.info.tiles};
    if (!kept[j]) {
      try {
        SlideFeatures file = job.content;
        if (!job.images.indices.empty())
          file.features = collect_features(backbone, reader, list, request);
        features::write_feature_file(request.out_dir / outcome.file, file, encryption_key(request));
        outcome.status = job.images.indices.empty() ? "empty" : "embedded";
      } catch (const std::exception& e) {
        outcome.status = "failed: " + data::scrub(e.what(), plan.names);
      }
      ++list;
    }
    outcome.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    outcomes.push_back(outcome);
    if (progress)
      progress(outcome, static_cast<int64_t>(outcomes.size()), static_cast<int64_t>(mine.size()));
  }
  backbone->train(was_training);
  return outcomes;
}

std::string encode(const SlideOutcome& o) {
  return nlohmann::json{{"slide", o.slide},
                        {"file", o.file},
                        {"status", o.status},
                        {"tiles", o.tiles},
                        {"seconds", o.seconds}}
      .dump();
}

SlideOutcome decode(const nlohmann::json& j) {
  return {j.at("slide"), j.at("file"), j.at("status"), j.at("tiles"), j.at("seconds")};
}

// Every rank's outcomes on rank 0, in the order of `parts`; the other ranks keep their own.
std::vector<SlideOutcome> gather_outcomes(std::vector<SlideOutcome> mine,
                                          const std::vector<EmbedJob>& jobs,
                                          distributed::Communicator& comm) {
  std::string lines;
  for (const SlideOutcome& o : mine) lines += encode(o) + "\n";
  const std::vector<std::string> all = distributed::all_gather_text(lines, comm, "embed outcomes");
  if (comm.rank() != 0) return mine;
  std::map<std::string, SlideOutcome> by_name;
  for (const std::string& rank_lines : all) {
    std::istringstream in(rank_lines);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) {
        SlideOutcome o = decode(nlohmann::json::parse(line));
        by_name[o.slide] = std::move(o);
      }
  }
  std::vector<SlideOutcome> outcomes;
  for (const EmbedJob& job : jobs) outcomes.push_back(by_name.at(job.name));
  return outcomes;
}

}  // namespace

std::vector<SlideOutcome> embed_archive(models::VisionTransformer& backbone,
                                        const EmbedRequest& request,
                                        distributed::Communicator& comm,
                                        const EmbedProgress& progress) {
  if (request.index.empty() == request.images.empty())
    throw std::invalid_argument("embed: give a tile index or an image folder, not both");
  FeatureFileInfo common;
  common.backbone = request.backbone_file.filename().string();
  common.backbone_sha256 = system::file_sha256(request.backbone_file);
  common.dim = backbone->spec().embed_dim;
  common.pathodino_version = PATHODINO_VERSION;
  const JobPlan plan = plan_jobs(request, common);
  std::filesystem::create_directories(request.out_dir);
  distributed::on_rank0_for_all(comm, [&] { features::remove_unfinished_writes(request.out_dir); });
  // Every rank checks every existing file, so a refusal stops them all before any work.
  std::vector<bool> kept;
  for (const EmbedJob& job : plan.jobs)
    kept.push_back(
        already_embedded(request.out_dir / job.file(), job.content.info, encryption_key(request)));
  std::vector<size_t> mine;
  for (size_t j = static_cast<size_t>(comm.rank()); j < plan.jobs.size(); j += comm.world_size())
    mine.push_back(j);
  return gather_outcomes(run_jobs(backbone, plan, mine, kept, request, progress), plan.jobs, comm);
}

void write_manifest(const std::filesystem::path& file, const std::vector<SlideOutcome>& outcomes) {
  std::string csv = "slide,file,tiles,status,seconds\n";
  for (const SlideOutcome& o : outcomes)
    csv += fmt::format("{},{},{},{},{:.3f}\n", data::quote_csv_cell(o.slide),
                       data::quote_csv_cell(o.file), o.tiles, data::quote_csv_cell(o.status),
                       o.seconds);
  system::write_file_durably(file, csv);
}

}  // namespace pathodino::embed
