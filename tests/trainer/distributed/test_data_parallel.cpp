// Data parallelism under real mpirun: the GradientReducer averages exactly (also with a parameter
// a step did not use), its buckets start while backward runs, and whole training steps on the real
// data path are the same math on any split of the global batch — W ranks × G/W images, one rank ×
// 2 micro-batches of G/2, and W ranks × 2 micro-batches all end where one process with the whole
// batch G ends, within 1e-5 after 5 steps (fp32, drop-path 0, KoLeo 0: KoLeo is per rank by design,
// as in DINOv2). Every rank computes the one-process reference itself, from the same data. ZeRO-1
// (reduce-scatter, sharded AdamW, all-gather) ends where plain data parallel ends, holding 1/W of
// its optimizer state.
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <sched.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "data/augment/multi_crop.h"
#include "data/loader/batch_queue.h"
#include "data/source/source_factory.h"
#include "mpi_test_main.h"
#include "trainer/config/resolve.h"
#include "trainer/distributed/gradient_reducer.h"
#include "trainer/distributed/mpi_communicator.h"
#include "trainer/distributed/nccl_communicator.h"
#include "trainer/optim/schedules.h"
#include "trainer/train/batch_tensors.h"
#include "trainer/train/loader_options.h"
#include "trainer/train/train_step.h"

namespace pathodino {
namespace {

// One communicator for the whole test run, freed before MPI_Finalize (gtest's environment
// teardown runs inside RUN_ALL_TESTS).
class CommunicatorEnvironment : public testing::Environment {
 public:
  void TearDown() override { comm.reset(); }
  static inline std::unique_ptr<distributed::MpiCommunicator> comm;
};

distributed::MpiCommunicator& world_comm() {
  if (!CommunicatorEnvironment::comm)
    CommunicatorEnvironment::comm =
        std::make_unique<distributed::MpiCommunicator>(mpi_runtime().world(), 60.0);
  return *CommunicatorEnvironment::comm;
}

[[maybe_unused]] const auto* environment =
    testing::AddGlobalTestEnvironment(new CommunicatorEnvironment);

TEST(GradientReducer, AveragesGradientsIncludingUnusedParameters) {
  auto& comm = world_comm();
  const int rank = comm.rank(), world = comm.world_size();
  torch::manual_seed(0);
  auto used = torch::randn({300, 200}).requires_grad_(true);
  auto unused_here = torch::randn({50}).requires_grad_(true);
  auto small = torch::randn({7}).requires_grad_(true);
  distributed::GradientReducer reducer({used, unused_here, small}, comm, {64, 64 * 1024});
  ASSERT_GE(reducer.bucket_count(), 2);
  for (int round = 0; round < 2; ++round) {  // twice: buckets are reset between steps
    reducer.zero_grad();
    reducer.begin_backward(true);
    // Rank r's loss: (r + 1) · sum(used) + sum(small²); `unused_here` only on rank 0.
    auto loss = (rank + 1.0) * used.sum() + (small * small).sum();
    if (rank == 0) loss = loss + 3.0 * unused_here.sum();
    loss.backward();
    reducer.finish_backward();
    const double mean_scale = (world + 1) / 2.0;  // mean of 1..world
    EXPECT_TRUE(torch::allclose(used.grad(), torch::full_like(used, mean_scale)));
    EXPECT_TRUE(torch::allclose(unused_here.grad(), torch::full_like(unused_here, 3.0 / world)));
    EXPECT_TRUE(torch::allclose(small.grad(), 2 * small.detach(), 1e-6, 1e-6));
  }
}

TEST(GradientReducer, AccumulationMicroStepsReduceOnlyAtTheEnd) {
  auto& comm = world_comm();
  auto w = torch::ones({64}).requires_grad_(true);
  distributed::GradientReducer reducer({w}, comm, {1 << 20, 25 << 20});
  reducer.zero_grad();
  reducer.begin_backward(false);
  (w * (comm.rank() + 1.0)).sum().backward();
  EXPECT_TRUE(torch::allclose(w.grad(), torch::full_like(w, comm.rank() + 1.0)))
      << "a micro-step must not communicate";
  reducer.begin_backward(true);
  (w * 2.0).sum().backward();
  reducer.finish_backward();
  const double mean = (comm.world_size() + 1) / 2.0 + 2.0;
  EXPECT_TRUE(torch::allclose(w.grad(), torch::full_like(w, mean)));
}

ExperimentConfig small_config(const std::string& centering) {
  return config::resolve_config(
      std::string(PATHODINO_SOURCE_DIR) + "/configs/debug/tiny_cpu.yaml",
      {"model.patch_size=8", "model.drop_path_rate=0.0", "ssl.koleo.loss_weight=0.0",
       "ssl.centering=" + centering, "ssl.dino.head.n_prototypes=128",
       "ssl.dino.head.hidden_dim=64", "ssl.dino.head.bottleneck_dim=32",
       "data.global_crops_size=32", "data.local_crops_size=16", "data.local_crops_number=2",
       "data.synthetic.images_per_class=8", "data.synthetic.image_size=48", "optim.epochs=2",
       "optim.iterations_per_epoch=5", "optim.warmup_epochs=1"});  // 5 steps of lr warm-up
}

struct Trained {
  std::vector<torch::Tensor> student, teacher;
  distributed::ReduceTimeline timeline;
  int64_t buckets = 0;
  int64_t optimizer_elements = 0;  // AdamW moment elements this rank holds
  optim::OptimizerLayout layout;
};

// `steps` steps of the real data path for this rank's share of a global batch of `global_batch`
// images, split over `world` ranks (communicating through `comm` when world > 1) and `micro`
// micro-batches each.
Trained train(const ExperimentConfig& base, int64_t global_batch, int world, int rank, int micro,
              distributed::Communicator* comm, int64_t steps,
              distributed::ReducerOptions buckets = {}, torch::Device device = torch::kCPU,
              bool zero1 = false) {
  ExperimentConfig config = base;
  const int64_t b = global_batch / (world * micro);
  const auto seed = static_cast<uint64_t>(config.run.seed);
  auto source = data::make_image_source(config.data, seed, data::Split::train);
  const data::MultiCropAugment augment(config.data);
  const data::ShardedSampler sampler(source->size(), rank, world, seed, micro);
  data::BatchQueueOptions queue = train::make_loader_options(config);
  queue.batch_size = b;
  const auto schedules = optim::make_training_schedules(config.optim, config.ssl, global_batch);
  torch::manual_seed(seed);
  ssl::StudentTeacher model(config.model, config.ssl, config.data.global_crops_size, seed);
  model.to(device);
  train::DataParallel parallel;
  parallel.comm = world > 1 ? comm : nullptr;
  parallel.buckets = buckets;
  parallel.zero1 = zero1;
  train::TrainStep step(model, config.optim, 3, false, parallel);
  for (int64_t s = 0; s < steps; ++s) {
    std::vector<data::MultiCropBatch> batches;
    std::vector<ssl::SslBatch> inputs;
    for (int m = 0; m < micro; ++m)
      batches.push_back(
          data::make_multi_crop_batch(*source, augment, sampler, queue, s * micro + m));
    for (auto& batch : batches) inputs.push_back(train::to_ssl_batch(batch, torch::kCPU));
    const auto result = step(inputs, s, train::step_values(schedules, s));
    EXPECT_TRUE(result.applied) << "step " << s;
  }
  Trained out;
  for (auto& t : model.student().parameters()) out.student.push_back(t.detach().cpu().clone());
  for (auto& t : model.teacher().parameters()) out.teacher.push_back(t.detach().cpu().clone());
  if (step.reducer()) {
    out.timeline = step.reducer()->last_timeline();
    out.buckets = step.reducer()->bucket_count();
  }
  out.layout = step.optimizer_layout();
  for (const auto& pieces : out.layout)
    for (const auto& piece : pieces)
      if (piece.stepped.defined()) out.optimizer_elements += piece.numel;
  return out;
}

double max_difference(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = (a[i] - b[i]).abs().max().item<double>();
    worst = std::max(worst, d);
  }
  return worst;
}

class SameParametersOnAnySplit : public testing::TestWithParam<std::string> {};

TEST_P(SameParametersOnAnySplit, RanksAndMicroBatchesMatchOneProcess) {
  torch::set_num_threads(1);
  auto& comm = world_comm();
  const int world = comm.world_size(), rank = comm.rank();
  const ExperimentConfig config = small_config(GetParam());
  const int64_t global_batch = 8, steps = 5;
  const Trained reference = train(config, global_batch, 1, 0, 1, nullptr, steps);
  const Trained moved = train(config, global_batch, 1, 0, 1, nullptr, 0);
  const double moved_by = max_difference(reference.student, moved.student);
  ASSERT_GT(moved_by, 1e-4) << "the steps must train";

  const Trained ranks = train(config, global_batch, world, rank, 1, &comm, steps);
  EXPECT_LE(max_difference(ranks.student, reference.student), 1e-5)
      << world << " ranks x " << global_batch / world;
  EXPECT_LE(max_difference(ranks.teacher, reference.teacher), 1e-5);
  if (rank == 0)
    std::printf(
        "[ equivalence ] %s, %d rank(s) x %lld: max |dθ| %.2e (5 steps moved θ by up to %.2e)\n",
        GetParam().c_str(), world, static_cast<long long>(global_batch / world),
        max_difference(ranks.student, reference.student), moved_by);

  // Sinkhorn-Knopp balances prototypes over the batch of one forward (the global batch across
  // ranks, as in DINOv2): a micro-batch is another batch, so accumulation changes its targets.
  if (GetParam() == "sinkhorn_knopp") return;
  const Trained accumulated = train(config, global_batch, 1, 0, 2, nullptr, steps);
  EXPECT_LE(max_difference(accumulated.student, reference.student), 1e-5)
      << "1 rank x 2 micro-batches of " << global_batch / 2;

  const Trained both = train(config, global_batch, world, rank, 2, &comm, steps);
  EXPECT_LE(max_difference(both.student, reference.student), 1e-5)
      << world << " ranks x 2 micro-batches";
  if (rank == 0)
    std::printf(
        "[ equivalence ] %s, %d rank(s): max |dθ| ranks %.2e, accumulation %.2e, both %.2e\n",
        GetParam().c_str(), world, max_difference(ranks.student, reference.student),
        max_difference(accumulated.student, reference.student),
        max_difference(both.student, reference.student));
}

INSTANTIATE_TEST_SUITE_P(Centering, SameParametersOnAnySplit,
                         testing::Values("softmax_center", "sinkhorn_knopp"));

double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// A checkpoint's progress sum waits for a late rank mostly asleep: rank 0 starts it 0.3 s before
// the others and goes on; its process burns far less than 0.3 s of CPU meanwhile (a spinning
// MPI_Allreduce on the comm thread would burn all of it), and the sum is right.
TEST(MpiCommunicator, UnhurriedSumWaitsForLateRanksWithoutSpinning) {
  auto& comm = world_comm();
  const int rank = comm.rank(), world = comm.world_size();
  comm.barrier("test: line up");
  torch::Tensor value = torch::full({3}, rank + 1, torch::kInt64);
  const auto wall_start = std::chrono::steady_clock::now();
  const double cpu_start = process_cpu_seconds();
  if (rank != 0) std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto pending = comm.start_unhurried_all_reduce_sum(value, "test: unhurried sum");
  pending->wait();
  const double cpu = process_cpu_seconds() - cpu_start;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  EXPECT_TRUE(torch::equal(value, torch::full({3}, world * (world + 1) / 2, torch::kInt64)));
  if (rank == 0 && world > 1) {
    EXPECT_GE(wall, 0.25) << "rank 0 should have waited for the late ranks";
    EXPECT_LT(cpu, 0.3 * wall) << "rank 0 used " << cpu << " s of CPU in " << wall << " s";
  }
}

// How many of this process's threads run under SCHED_BATCH (field 41 of /proc/self/task/*/stat).
int batch_threads() {
  int count = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream in(task.path() / "stat");
    std::string line;
    std::getline(in, line);
    std::istringstream after_name(line.substr(line.rfind(')') + 2));  // field 3 onwards
    std::string field;
    for (int i = 3; i <= 41 && after_name >> field; ++i) {
    }
    if (field == std::to_string(SCHED_BATCH)) ++count;
  }
  return count;
}

// A background communicator (the checkpoint's) runs its thread under SCHED_BATCH, so that a step
// boundary that wakes it is not preempted; the default one (gradient buckets) does not.
TEST(MpiCommunicator, BackgroundCommunicatorThreadGivesUpWakeUpPreemption) {
  const int before = batch_threads();
  {
    distributed::MpiCommunicator normal(mpi_runtime().world(), 60.0);
    normal.barrier("test: normal communicator up");
    EXPECT_EQ(batch_threads(), before);
  }
  distributed::MpiCommunicator background(mpi_runtime().world(), 60.0, /*background=*/true);
  torch::Tensor one = torch::ones({1}, torch::kInt64);
  background.start_unhurried_all_reduce_sum(one, "test: background sum")->wait();
  EXPECT_EQ(one.item<int64_t>(), background.world_size());
  EXPECT_EQ(batch_threads(), before + 1);
  EXPECT_NE(sched_getscheduler(0), SCHED_BATCH) << "the calling thread keeps its policy";
}

TEST(GradientReducer, ReduceScatterLeavesEachRankItsSummedChunk) {
  auto& comm = world_comm();
  const int rank = comm.rank(), world = comm.world_size();
  auto a = torch::zeros({10, 3}).requires_grad_(true);
  auto b = torch::zeros({5}).requires_grad_(true);
  distributed::ReducerOptions options{1 << 20, 25 << 20, /*average=*/false,
                                      /*reduce_scatter=*/true};
  distributed::GradientReducer reducer({a, b}, comm, options);
  const auto layout = reducer.layout();
  ASSERT_EQ(layout.size(), 1u);
  ASSERT_EQ(layout[0].numel % world, 0) << "padded to a multiple of the world size";
  ASSERT_GE(layout[0].numel, 35);
  reducer.zero_grad();
  reducer.begin_backward(true);
  // Rank r's gradient of element j (bucket order: b first, then a — reverse registration) is
  // (r + 1) · (j + 1), so the sum over ranks is (j + 1) · W(W + 1)/2.
  const auto ramp = torch::arange(1, 36, torch::kFloat32);
  ((b * ramp.narrow(0, 0, 5)).sum() + (a.view(-1) * ramp.narrow(0, 5, 30)).sum())
      .mul(rank + 1.0)
      .backward();
  reducer.finish_backward();
  const int64_t chunk = layout[0].numel / world;
  auto expected = torch::zeros({layout[0].numel});
  expected.narrow(0, 0, 35).copy_(ramp * (world * (world + 1) / 2.0));
  EXPECT_TRUE(torch::equal(reducer.reduced_chunk(0), expected.narrow(0, rank * chunk, chunk)));
  EXPECT_TRUE(torch::equal(b.grad(), ramp.narrow(0, 0, 5) * (rank + 1.0)))
      << ".grad keeps this rank's own gradient";
}

TEST(ZeroOne, MatchesPlainDataParallelWithItsShareOfTheState) {
  auto& comm = world_comm();
  const int world = comm.world_size(), rank = comm.rank();
  if (world == 1) GTEST_SKIP() << "one rank: nothing to shard";
  torch::set_num_threads(1);
  const ExperimentConfig config = small_config("softmax_center");
  const distributed::ReducerOptions small_buckets{64 * 1024, 256 * 1024};
  const Trained plain = train(config, 8, world, rank, 1, &comm, 5, small_buckets);
  const Trained zero = train(config, 8, world, rank, 1, &comm, 5, small_buckets, torch::kCPU, true);
  const double difference = max_difference(zero.student, plain.student);
  EXPECT_LE(difference, 1e-5);
  EXPECT_LE(max_difference(zero.teacher, plain.teacher), 1e-5);
  // The pieces cover every tensor exactly once over the ranks; this rank holds about 1/W.
  int64_t total = 0;
  for (size_t i = 0; i < zero.layout.size(); ++i) {
    int64_t covered = 0;
    for (const auto& piece : zero.layout[i]) {
      EXPECT_EQ(piece.offset, covered) << "tensor " << i;
      EXPECT_EQ(piece.stepped.defined(), piece.owner == rank);
      covered += piece.numel;
    }
    EXPECT_EQ(covered, plain.student[i].numel()) << "tensor " << i;
    total += covered;
  }
  EXPECT_EQ(plain.optimizer_elements, total);
  EXPECT_LE(std::abs(zero.optimizer_elements * world - total), world * world * zero.buckets)
      << "a rank's chunk of each bucket is 1/W of it, up to padding";
  const Trained zero_micro =
      train(config, 8, world, rank, 2, &comm, 5, small_buckets, torch::kCPU, true);
  const Trained plain_micro = train(config, 8, world, rank, 2, &comm, 5, small_buckets);
  EXPECT_LE(max_difference(zero_micro.student, plain_micro.student), 1e-5)
      << "with gradient accumulation";
  if (rank == 0)
    std::printf(
        "[ ZeRO-1 ] %d ranks: max |dθ| vs plain DP %.2e; AdamW elements per rank %lld of "
        "%lld (%lld buckets)\n",
        world, difference, static_cast<long long>(zero.optimizer_elements),
        static_cast<long long>(total), static_cast<long long>(zero.buckets));
}

TEST(GradientReducer, BucketsStartWhileBackwardRuns) {
  auto& comm = world_comm();
  if (comm.world_size() == 1) GTEST_SKIP() << "one rank: nothing to reduce";
  torch::set_num_threads(1);
  const Trained run = train(small_config("softmax_center"), 8, comm.world_size(), comm.rank(), 1,
                            &comm, 2, {64 * 1024, 512 * 1024});
  ASSERT_GE(run.buckets, 3);
  // Launched by a gradient hook during backward: decided by the order gradients become ready,
  // so every rank must show it.
  int64_t launched_in_backward = 0, transferring_in_backward = 0;
  for (const auto& bucket : run.timeline.buckets) {
    if (bucket.started_in_backward) ++launched_in_backward;
    if (bucket.started < run.timeline.backward_end) ++transferring_in_backward;
  }
  EXPECT_GE(launched_in_backward, run.buckets - 1) << "only the last bucket may wait for the end";
  // Transferring before backward ended also needs every other rank to have launched that bucket.
  // With more ranks than cores, a rank whose backward ran while the others were descheduled
  // ends before any transfer can start; the rank that reaches backward last cannot, unless the
  // scheduler parks it for its whole backward. So overlap is asserted over the world.
  auto transferring = torch::tensor({static_cast<double>(transferring_in_backward)});
  comm.start_all_reduce_sum(transferring, "test: buckets transferring in backward")->wait();
  const auto world_transferring = static_cast<int64_t>(transferring.item<double>());
  if (comm.rank() == 0)
    std::printf(
        "[ overlap ] of %lld buckets, %lld launched and %lld transferring before backward "
        "ended on rank 0; %lld transferring summed over %d ranks\n",
        static_cast<long long>(run.buckets), static_cast<long long>(launched_in_backward),
        static_cast<long long>(transferring_in_backward),
        static_cast<long long>(world_transferring), comm.world_size());
  EXPECT_GE(world_transferring, 1) << "no all-reduce ran while any rank's backward was running";
}

// The same equivalence with NCCL on GPUs (one per local rank): `ctest -L gpu` on a GPU node.
// Never run in CI here (no GPU): it reports SKIPPED, not passed.
TEST(Nccl, RanksMatchOneProcessOnGpus) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  auto& mpi = mpi_runtime();
  const torch::Device device(
      torch::kCUDA, static_cast<c10::DeviceIndex>(mpi.local_rank() % torch::cuda::device_count()));
  auto nccl = distributed::make_nccl_communicator(mpi.world(), device.index(), 60.0);
  const ExperimentConfig config = small_config("softmax_center");
  const Trained reference = train(config, 8, 1, 0, 1, nullptr, 5, {}, device);
  const Trained ranks =
      train(config, 8, nccl->world_size(), nccl->rank(), 1, nccl.get(), 5, {}, device);
  const double difference = max_difference(ranks.student, reference.student);
  const Trained zero = train(config, 8, nccl->world_size(), nccl->rank(), 1, nccl.get(), 5, {},
                             device, /*zero1=*/true);
  const double zero_difference = max_difference(zero.student, ranks.student);
  if (mpi.rank() == 0)
    std::printf("[ equivalence ] NCCL, %d GPU rank(s): max |dθ| %.2e, ZeRO-1 vs plain %.2e\n",
                nccl->world_size(), difference, zero_difference);
  EXPECT_LE(difference, 1e-5);
  EXPECT_LE(zero_difference, 1e-5);
}

}  // namespace
}  // namespace pathodino
