#include "trainer/embed/embed_archive.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "data/csv_line.h"
#include "data/index/tile_index.h"
#include "data/source/wsi_tile_source.h"
#include "trainer/distributed/rank_consistency.h"
#include "trainer/eval/embed.h"
#include "trainer/features/feature_file.h"
#include "trainer/features/feature_parts.h"
#include "trainer/system/durable_file.h"

namespace pathodino::embed {
namespace {

using features::FeatureFileError;
using features::FeatureFileInfo;
using features::FeaturePart;
using features::SlideFeatures;

FeatureFileInfo info_of(const data::TileIndex& index, const FeaturePart& part,
                        const std::string& backbone, const std::string& sha256, int64_t dim) {
  FeatureFileInfo info;
  info.slide = std::filesystem::path(index.slides()[part.slide].path).stem().string();
  info.tiles = static_cast<int64_t>(part.tiles.size());
  info.dim = dim;
  info.level0_mpp = index.slides()[part.slide].mpp_x;
  if (part.grid >= 0) {
    const data::IndexedGrid& grid = index.grids()[static_cast<size_t>(part.grid)];
    info.tile_size = grid.tile_size;
    info.tile_size_level0 = grid.extent;
    info.target_mpp = grid.target_mpp;
  }
  info.backbone = backbone;
  info.backbone_sha256 = sha256;
  info.pathodino_version = PATHODINO_VERSION;
  return info;
}

// true: the file is there from an earlier run of this job. Throws for a file another backbone or
// tile size made: mixing them in one folder would give slide-level code incomparable features.
bool already_embedded(const std::filesystem::path& file, const FeatureFileInfo& wanted) {
  if (!std::filesystem::exists(file)) return false;
  const FeatureFileInfo found = features::read_feature_file_info(file);
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

SlideFeatures embed_part(models::VisionTransformer& backbone, const data::WsiTileSource& source,
                         const FeaturePart& part, FeatureFileInfo info,
                         const EmbedRequest& request) {
  SlideFeatures slide;
  slide.info = std::move(info);
  if (part.tiles.empty()) return slide;
  const eval::Embeddings embedded =
      eval::embed_images(backbone, source, part.tiles, request.image_size, request.mean,
                         request.std, request.batch_size, request.read_threads);
  const torch::Tensor features = embedded.features.contiguous();
  slide.features.assign(features.data_ptr<float>(), features.data_ptr<float>() + features.numel());
  for (const int64_t i : part.tiles) {
    slide.coords.push_back(source.index().tile(i).x);
    slide.coords.push_back(source.index().tile(i).y);
  }
  return slide;
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
                                          const std::vector<FeaturePart>& parts,
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
  for (const FeaturePart& part : parts) outcomes.push_back(by_name.at(part.name));
  return outcomes;
}

}  // namespace

std::vector<SlideOutcome> embed_archive(models::VisionTransformer& backbone,
                                        const EmbedRequest& request,
                                        distributed::Communicator& comm,
                                        const EmbedProgress& progress) {
  auto index = std::make_shared<const data::TileIndex>(request.index);
  const std::vector<FeaturePart> parts = features::plan_feature_parts(*index);
  const std::string sha256 = file_sha256(request.backbone_file);
  const std::string backbone_name = request.backbone_file.filename().string();
  const int64_t dim = backbone->spec().embed_dim;
  std::filesystem::create_directories(request.out_dir);
  distributed::on_rank0_for_all(comm, [&] { features::remove_unfinished_writes(request.out_dir); });
  // Every rank checks every existing file, so a refusal stops them all before any work.
  std::vector<FeatureFileInfo> wanted;
  std::vector<bool> kept;
  for (const FeaturePart& part : parts) {
    wanted.push_back(info_of(*index, part, backbone_name, sha256, dim));
    kept.push_back(already_embedded(request.out_dir / part.file(), wanted.back()));
  }
  data::WsiReadOptions read_options;
  read_options.max_stand_ins = 0;  // a tile that cannot be read fails its slide
  const data::WsiTileSource source(index, read_options);
  std::vector<SlideOutcome> mine;
  const int world = comm.world_size();
  const int64_t my_total = (static_cast<int64_t>(parts.size()) - comm.rank() + world - 1) / world;
  for (size_t p = static_cast<size_t>(comm.rank()); p < parts.size(); p += world) {
    const FeaturePart& part = parts[p];
    const auto start = std::chrono::steady_clock::now();
    SlideOutcome outcome{part.name, part.file(), "kept", static_cast<int64_t>(part.tiles.size())};
    if (!kept[p]) {
      try {
        features::write_feature_file(request.out_dir / outcome.file,
                                     embed_part(backbone, source, part, wanted[p], request));
        outcome.status = part.tiles.empty() ? "empty" : "embedded";
      } catch (const std::exception& e) {
        outcome.status = std::string("failed: ") + e.what();
      }
    }
    outcome.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    mine.push_back(outcome);
    if (progress) progress(outcome, static_cast<int64_t>(mine.size()), my_total);
  }
  return gather_outcomes(mine, parts, comm);
}

void write_manifest(const std::filesystem::path& file, const std::vector<SlideOutcome>& outcomes) {
  std::string csv = "slide,file,tiles,status,seconds\n";
  for (const SlideOutcome& o : outcomes)
    csv += fmt::format("{},{},{},{},{:.3f}\n", data::quote_csv_cell(o.slide),
                       data::quote_csv_cell(o.file), o.tiles, data::quote_csv_cell(o.status),
                       o.seconds);
  system::write_file_durably(file, csv);
}

std::string file_sha256(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(file.string() + ": cannot read the backbone file");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buffer(1 << 20);
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0)
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<size_t>(in.gcount()));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace pathodino::embed
