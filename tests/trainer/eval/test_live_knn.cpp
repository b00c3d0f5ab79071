// The kNN monitor under real mpirun: images split across ranks, bank all-gathered, hits summed —
// the score must be the one-process `pathodino eval knn` score of the same backbone (within one
// query: embedding a different batch composition may move a near-tie), on shares that do not
// divide evenly (3 classes x 35 images over 2 and 4 ranks).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <memory>

#include "models/factory/backbone_factory.h"
#include "mpi_test_main.h"
#include "trainer/config/resolve.h"
#include "trainer/distributed/mpi_communicator.h"
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

}  // namespace
}  // namespace pathodino
