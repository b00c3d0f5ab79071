// `pathodino embed`'s library under real mpirun (1 and 2 ranks) on real synthetic slides: each
// slide's HDF5 file holds, row for row, the embeddings evaluation computes for the same tiles
// (eval::embed_images) and the index's coordinates; a second run keeps every file; a folder made
// with another backbone is refused by name; a slide deleted after indexing fails alone. An image
// folder (train/val by class) gives a file per folder, split into parts, with paths and labels.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <random>

#include "data/image_file/image_file.h"
#include "data/index/build_index.h"
#include "data/index/tile_index.h"
#include "data/source/image_folder_source.h"
#include "data/source/wsi_tile_source.h"
#include "data/synthetic/synthetic_slide.h"
#include "models/factory/backbone_factory.h"
#include "models/interchange/backbone_file.h"
#include "mpi_test_main.h"
#include "trainer/config/resolve.h"
#include "trainer/distributed/mpi_communicator.h"
#include "trainer/distributed/rank_consistency.h"
#include "trainer/embed/embed_archive.h"
#include "trainer/eval/embed.h"
#include "trainer/features/feature_file.h"
#include "trainer/system/sha256.h"

namespace pathodino {
namespace {

namespace fs = std::filesystem;

struct Archive {
  fs::path dir, index, backbone, other_backbone;
  ExperimentConfig config;
};

// Three small slides, their index (64 px tiles) and two random ViTs as files; rank 0 writes them.
Archive make_archive(distributed::Communicator& comm) {
  Archive a;
  a.dir = fs::temp_directory_path() /
          ("pathodino_embed_archive_np" + std::to_string(comm.world_size()));
  a.index = a.dir / "tiles.pdidx";
  a.backbone = a.dir / "backbone.safetensors";
  a.other_backbone = a.dir / "other.safetensors";
  a.config = config::resolve_config(PATHODINO_SOURCE_DIR "/configs/debug/tiny_cpu.yaml");
  distributed::on_rank0_for_all(comm, [&] {
    fs::remove_all(a.dir);
    fs::create_directories(a.dir / "slides");
    std::vector<data::SlideEntry> slides;
    for (int s = 0; s < 3; ++s) {
      data::SyntheticSlideOptions options;
      options.width = 768, options.height = 512, options.region_size = 256;
      options.seed = 40 + static_cast<uint64_t>(s);
      const fs::path file = a.dir / "slides" / ("slide_" + std::to_string(s) + ".tiff");
      data::write_synthetic_slide(options, file);
      slides.push_back({file.string(), {}});
    }
    data::IndexBuildOptions index_options;
    index_options.tile_size = 64;
    data::build_index(slides, index_options, a.index);
    for (const auto& [file, seed] : {std::pair{a.backbone, 3}, std::pair{a.other_backbone, 4}}) {
      auto vit = models::build_backbone(a.config.model, 64, static_cast<uint64_t>(seed));
      models::export_backbone(vit, {}, file);
    }
  });
  return a;
}

embed::EmbedRequest request_for(const Archive& a, const fs::path& backbone) {
  embed::EmbedRequest request;
  request.index = a.index;
  request.out_dir = a.dir / "features";
  request.backbone_file = backbone;
  request.image_size = 64;
  request.mean = a.config.data.mean;
  request.std = a.config.data.std;
  request.batch_size = 16;
  return request;
}

models::VisionTransformer load(const Archive& a, const fs::path& file) {
  models::ModelOptions options = a.config.model;
  options.pretrained = file.string();
  return models::build_backbone(options, 64, 0);
}

TEST(EmbedArchive, FilesHoldEvalEmbeddingsOfTheSameTilesAndResumeKeepsThem) {
  torch::set_num_threads(1);
  distributed::MpiCommunicator comm(mpi_runtime().world(), 120.0);
  const Archive a = make_archive(comm);
  auto backbone = load(a, a.backbone);
  const embed::EmbedRequest request = request_for(a, a.backbone);
  const auto outcomes = embed::embed_archive(backbone, request, comm);

  if (comm.rank() == 0) {
    auto index = std::make_shared<const data::TileIndex>(a.index);
    ASSERT_EQ(outcomes.size(), 3u);
    std::map<uint32_t, std::vector<int64_t>> tiles_of;  // slide -> index tiles
    for (int64_t i = 0; i < index->size(); ++i)
      tiles_of[index->grids()[index->tile(i).grid].slide].push_back(i);
    const data::WsiTileSource source(index);
    for (uint32_t s = 0; s < 3; ++s) {
      const embed::SlideOutcome& o = outcomes[s];
      EXPECT_EQ(o.status, "embedded") << o.slide;
      const features::SlideFeatures file = features::read_feature_file(request.out_dir / o.file);
      ASSERT_EQ(file.info.tiles, static_cast<int64_t>(tiles_of[s].size()));
      ASSERT_GT(file.info.tiles, 10);
      EXPECT_EQ(file.info.dim, backbone->spec().embed_dim);
      EXPECT_EQ(file.info.backbone_sha256, system::file_sha256(a.backbone));
      const torch::Tensor reference =
          eval::embed_images(backbone, source, tiles_of[s], 64, request.mean, request.std).features;
      const torch::Tensor stored =
          torch::from_blob(const_cast<float*>(file.features.data()),
                           {file.info.tiles, file.info.dim}, torch::kFloat32);
      EXPECT_LE((stored - reference).abs().max().item<float>(), 1e-5f) << o.slide;
      for (size_t t = 0; t < tiles_of[s].size(); ++t) {
        EXPECT_EQ(file.coords[2 * t], index->tile(tiles_of[s][t]).x);
        EXPECT_EQ(file.coords[2 * t + 1], index->tile(tiles_of[s][t]).y);
      }
    }
  }
  // Run again: every file is already there, nothing is embedded twice.
  for (const embed::SlideOutcome& o : embed::embed_archive(backbone, request, comm))
    EXPECT_EQ(o.status, "kept") << o.slide;
}

TEST(EmbedArchive, AFolderOfAnotherBackboneIsRefusedByName) {
  distributed::MpiCommunicator comm(mpi_runtime().world(), 120.0);
  const Archive a = make_archive(comm);
  auto backbone = load(a, a.backbone);
  embed::embed_archive(backbone, request_for(a, a.backbone), comm);
  auto other = load(a, a.other_backbone);
  try {
    embed::embed_archive(other, request_for(a, a.other_backbone), comm);
    ADD_FAILURE() << "embedding into a folder of another backbone was accepted";
  } catch (const features::FeatureFileError& e) {
    EXPECT_NE(std::string(e.what()).find("slide_0.h5: made with backbone backbone.safetensors"),
              std::string::npos)
        << e.what();
  }
}

TEST(EmbedArchive, ASlideDeletedAfterIndexingFailsAloneAndIsCounted) {
  distributed::MpiCommunicator comm(mpi_runtime().world(), 120.0);
  const Archive a = make_archive(comm);
  distributed::on_rank0_for_all(comm, [&] { fs::remove(a.dir / "slides" / "slide_1.tiff"); });
  auto backbone = load(a, a.backbone);
  const auto outcomes = embed::embed_archive(backbone, request_for(a, a.backbone), comm);
  if (comm.rank() != 0) return;
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_EQ(outcomes[0].status, "embedded");
  EXPECT_EQ(outcomes[1].status.rfind("failed: ", 0), 0u) << outcomes[1].status;
  EXPECT_NE(outcomes[1].status.find("slide_1.tiff"), std::string::npos) << outcomes[1].status;
  EXPECT_EQ(outcomes[2].status, "embedded");
  EXPECT_FALSE(fs::exists(a.dir / "features" / "slide_1.h5"));
}

// ROOT/{train,val}/{tumour,stroma}/i.png, random pixels of several sizes.
void write_image_folder(const fs::path& root) {
  std::mt19937 rng(7);
  int i = 0;
  for (const char* split : {"train", "val"})
    for (const auto& [cls, count] : {std::pair{"stroma", 5}, std::pair{"tumour", 2}})
      for (int k = 0; k < count; ++k, ++i) {
        data::RgbImage image{48 + 8 * (i % 3), 40 + 8 * (i % 2), {}};
        image.pixels.resize(static_cast<size_t>(image.width * image.height * 3));
        for (uint8_t& p : image.pixels) p = static_cast<uint8_t>(rng() % 256);
        fs::create_directories(root / split / cls);
        data::write_png(image, root / split / cls / (std::to_string(i) + ".png"));
      }
}

TEST(EmbedArchive, AnImageFolderGivesAFilePerFolderWithPathsLabelsAndEvalEmbeddings) {
  distributed::MpiCommunicator comm(mpi_runtime().world(), 120.0);
  const Archive a = make_archive(comm);
  const fs::path root = a.dir / "images";
  distributed::on_rank0_for_all(comm, [&] { write_image_folder(root); });
  auto backbone = load(a, a.backbone);
  embed::EmbedRequest request = request_for(a, a.backbone);
  request.index.clear();
  request.images = root;
  request.images_per_file = 3;
  request.out_dir = a.dir / "image_features";
  const auto outcomes = embed::embed_archive(backbone, request, comm);
  if (comm.rank() != 0) return;
  std::vector<std::string> names;
  for (const embed::SlideOutcome& o : outcomes) {
    EXPECT_EQ(o.status, "embedded") << o.slide;
    names.push_back(o.slide);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"train_stroma_part0001", "train_stroma_part0002",
                                             "train_tumour", "val_stroma_part0001",
                                             "val_stroma_part0002", "val_tumour"}));
  for (const data::Split split : {data::Split::train, data::Split::val}) {
    const data::ImageFolderSource source(root, split);
    const eval::Embeddings reference =
        eval::embed_images(backbone, source, 64, request.mean, request.std);
    int64_t row = 0;  // the files of a split, in name order, hold its images in source order
    for (const embed::SlideOutcome& o : outcomes) {
      if (o.slide.rfind(split == data::Split::train ? "train_" : "val_", 0) != 0) continue;
      const features::SlideFeatures file = features::read_feature_file(request.out_dir / o.file);
      EXPECT_TRUE(file.coords.empty());
      EXPECT_EQ(file.class_names, (std::vector<std::string>{"stroma", "tumour"}));
      ASSERT_EQ(file.paths.size(), static_cast<size_t>(file.info.tiles));
      for (int64_t r = 0; r < file.info.tiles; ++r, ++row) {
        EXPECT_EQ(file.paths[static_cast<size_t>(r)], source.relative_path(row).generic_string());
        EXPECT_EQ(file.labels[static_cast<size_t>(r)], reference.labels[row].item<int64_t>());
        const torch::Tensor stored = torch::from_blob(
            const_cast<float*>(file.features.data()) + r * file.info.dim, {file.info.dim});
        EXPECT_LE((stored - reference.features[row]).abs().max().item<float>(), 1e-5f)
            << file.paths[static_cast<size_t>(r)];
      }
    }
    EXPECT_EQ(row, source.size());
  }
}

}  // namespace
}  // namespace pathodino
