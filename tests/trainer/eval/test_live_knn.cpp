// The kNN monitor under real mpirun: images split across ranks, bank all-gathered, hits summed —
// the score must be the one-process `pathodino eval knn` score of the same backbone (within one
// query: embedding a different batch composition may move a near-tie), on shares that do not
// divide evenly (3 classes x 35 images over 2 and 4 ranks); per site, on a labelled CSV with a
// site column, the same queries per site and the same scores.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>

#include "data/synthetic/labelled_tiles.h"
#include "models/factory/backbone_factory.h"
#include "mpi_test_main.h"
#include "trainer/config/resolve.h"
#include "trainer/distributed/mpi_communicator.h"
#include "trainer/distributed/rank_consistency.h"
#include "trainer/eval/knn_evaluation.h"
#include "trainer/eval/live_knn.h"

namespace pathodino {
namespace {

TEST(LiveKnn, MatchesTheOneProcessEvaluation) {
  // Without LayerScale a random ViT's features differ from image to image, so the score is not
  // decided by rounding (the run's own 1e-5 LayerScale init makes them nearly constant).
  const ExperimentConfig config = config::resolve_config(
      std::string(PATHODINO_SOURCE_DIR) + "/configs/debug/tiny_cpu.yaml",
      {"model.layerscale_init=0.0", "data.synthetic.num_classes=3",
       "data.synthetic.images_per_class=35", "data.synthetic.image_size=64",
       "data.global_crops_size=64", "data.local_crops_size=32", "eval.knn_k=10"});
  torch::set_num_threads(1);
  auto backbone = models::build_backbone(config.model, config.data.global_crops_size, 7);
  const eval::KnnReport reference = eval::evaluate_knn(backbone, eval_sections(config));

  distributed::MpiCommunicator comm(mpi_runtime().world(), 60.0);
  eval::LiveKnn live(eval_sections(config), comm);
  const eval::KnnReport r = live.evaluate(backbone);
  EXPECT_EQ(r.bank_size, reference.bank_size);
  EXPECT_EQ(r.query_count, reference.query_count);
  EXPECT_EQ(r.bank_size, 105);
  EXPECT_NEAR(r.top1, reference.top1, 1.0 / static_cast<double>(r.query_count) + 1e-12)
      << "rank " << comm.rank() << " of " << comm.world_size();
  // A score the features earn, not chance: a wrong gather would scramble labels towards 1/3.
  EXPECT_GT(reference.top1, 0.5);
  if (comm.rank() == 0)
    std::printf("live kNN %.4f vs one process %.4f over %d rank(s)\n", r.top1, reference.top1,
                comm.world_size());
}

// Synthetic labelled tiles listed in DIR/sites.csv (path, label, split, site), every third image
// at site_b; rank 0 writes them.
std::filesystem::path write_sites_csv(distributed::Communicator& comm) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() /
                       ("pathodino_live_knn_sites_np" + std::to_string(comm.world_size()));
  distributed::on_rank0_for_all(comm, [&] {
    fs::remove_all(dir);
    data::SyntheticSlideOptions slide;
    slide.width = 1024, slide.height = 768, slide.seed = 5;
    data::LabelledTileOptions tiles;
    tiles.tiles_per_class = 9;
    tiles.tile_size = 64;
    data::write_labelled_tiles(slide, tiles, dir);
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(dir))
      if (e.path().extension() == ".png") files.push_back(e.path().lexically_relative(dir));
    std::sort(files.begin(), files.end());
    std::ofstream csv(dir / "sites.csv");
    csv << "path,label,split,site\n";
    for (size_t i = 0; i < files.size(); ++i)
      csv << files[i].string() << "," << files[i].parent_path().filename().string() << ","
          << files[i].begin()->string() << "," << (i % 3 == 0 ? "site_b" : "site_a") << "\n";
  });
  return dir / "sites.csv";
}

TEST(LiveKnn, ScoresPerSiteMatchTheOneProcessEvaluation) {
  distributed::MpiCommunicator comm(mpi_runtime().world(), 60.0);
  const std::filesystem::path csv = write_sites_csv(comm);
  const ExperimentConfig config = config::resolve_config(
      std::string(PATHODINO_SOURCE_DIR) + "/configs/debug/tiny_cpu.yaml",
      {"model.layerscale_init=0.0", "data.global_crops_size=64", "data.local_crops_size=32",
       "eval.knn_k=10", "eval.knn_dataset=" + csv.string()});
  torch::set_num_threads(1);
  auto backbone = models::build_backbone(config.model, config.data.global_crops_size, 7);
  const eval::KnnReport reference = eval::evaluate_knn(backbone, eval_sections(config));
  eval::LiveKnn live(eval_sections(config), comm);
  const eval::KnnReport r = live.evaluate(backbone);
  ASSERT_EQ(r.scores.column, "site");
  ASSERT_EQ(r.scores.groups.size(), 2u);
  ASSERT_EQ(reference.scores.groups.size(), 2u);
  for (size_t g = 0; g < 2; ++g) {
    const eval::GroupAccuracy &mine = r.scores.groups[g], &one = reference.scores.groups[g];
    EXPECT_EQ(mine.group, one.group);
    EXPECT_EQ(mine.count, one.count) << "the queries of " << one.group;
    EXPECT_GT(one.count, 5);
    EXPECT_NEAR(mine.top1, one.top1, 1.0 / static_cast<double>(one.count) + 1e-12) << one.group;
  }
  EXPECT_NEAR(r.scores.overall.balanced, reference.scores.overall.balanced,
              4.0 / static_cast<double>(r.query_count));
}

}  // namespace
}  // namespace pathodino
