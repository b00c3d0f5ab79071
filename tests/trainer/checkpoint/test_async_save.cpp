// Async saves copy the state on their background thread while the next step's forward and
// backward run (trainer/checkpoint/checkpoint_writer.h), on real MPI ranks: the caller that waits
// (wait_until_staged) before changing the state gets a checkpoint of the state as it was at
// start_async, and the wait counts as blocking time. That the trainer waits where it must is
// checked end to end by tests/cli/test_checkpoint.sh (async saves hold the same state as
// synchronous ones, tensor by tensor).
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mpi_test_main.h"
#include "trainer/checkpoint/checkpoint_reader.h"
#include "trainer/checkpoint/checkpoint_writer.h"
#include "trainer/distributed/mpi_communicator.h"

namespace {

using namespace pathodino;

// One scratch folder for all ranks (rank 0 names it; every rank reads its name).
std::filesystem::path shared_scratch(const std::string& test, distributed::Communicator& comm) {
  torch::Tensor stamp = torch::zeros({1}, torch::kInt64);
  if (comm.rank() == 0) stamp[0] = static_cast<int64_t>(::getpid());
  comm.all_reduce_sum(stamp, "all_reduce(scratch name)");
  const auto dir = std::filesystem::temp_directory_path() /
                   ("pathodino_async_" + test + "_" + std::to_string(stamp[0].item<int64_t>()));
  if (comm.rank() == 0) std::filesystem::remove_all(dir);
  comm.barrier("barrier(scratch)");
  return dir;
}

std::vector<checkpoint::NamedTensor> make_state(int tensors, int64_t floats) {
  std::vector<checkpoint::NamedTensor> state;
  torch::manual_seed(7);  // the same state on every rank, as data-parallel replicas are
  for (int i = 0; i < tensors; ++i)
    state.push_back({"student.w" + std::to_string(i), torch::randn({floats}), -1});
  return state;
}

checkpoint::Manifest manifest_at(int64_t step) {
  checkpoint::Manifest m;
  m.step = step;
  m.config_yaml = "run: {name: async-test}\n";
  return m;
}

TEST(AsyncSave, WaitingBeforeTheUpdateSavesTheStateOfTheStepBoundary) {
  distributed::MpiCommunicator comm(mpi_runtime().world(), 120.0);
  const auto dir = shared_scratch("wait", comm);
  auto state = make_state(6, 1 << 21);  // 6 × 8 MiB
  std::vector<torch::Tensor> before;
  for (const auto& t : state) before.push_back(t.tensor.clone());
  {
    checkpoint::CheckpointWriter writer(checkpoint::CheckpointDirectory(dir), {}, comm);
    writer.prepare_async(state);
    writer.start_async(state, manifest_at(1));
    writer.wait_until_staged();
    for (auto& t : state) t.tensor.add_(1.0f);  // the optimizer step of the next step
    const checkpoint::SaveOutcome saved = writer.finish();
    ASSERT_TRUE(saved.ok) << saved.error;
    EXPECT_GT(saved.blocking_seconds, 0.0);
    const checkpoint::LoadedCheckpoint loaded = checkpoint::load_checkpoint(saved.path);
    for (size_t i = 0; i < state.size(); ++i)
      EXPECT_TRUE(torch::equal(loaded.tensors.at(state[i].name), before[i])) << state[i].name;
  }
  comm.barrier("barrier(done)");
  if (comm.rank() == 0) std::filesystem::remove_all(dir);
}

// The background worker runs the whole save, its sums over ranks included: with no poll and no
// finish on any rank, `latest` comes to name the new checkpoint, and rank 1 may reach its next
// step boundary 0.5 s after rank 0 without rank 0 waiting for it there. (Before, progress sums
// started by polls at the step boundaries drove the save, and it never committed without them.)
TEST(AsyncSave, CommitsInTheBackgroundWithoutPollsOrCollectivesInTheCallersThread) {
  distributed::MpiCommunicator comm(mpi_runtime().world(), 120.0);
  const auto dir = shared_scratch("background", comm);
  auto state = make_state(4, 1 << 18);  // 4 × 1 MiB
  {
    checkpoint::CheckpointWriter writer(checkpoint::CheckpointDirectory(dir), {}, comm);
    writer.prepare_async(state);
    writer.start_async(state, manifest_at(1));
    if (comm.rank() == 1) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const auto latest = dir / "latest";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline && !std::filesystem::exists(latest))
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_TRUE(std::filesystem::exists(latest)) << "no commit without polls";
    // Rank 0 polls while rank 1 may still be asleep: a poll never waits for it.
    const auto start = std::chrono::steady_clock::now();
    std::optional<checkpoint::SaveOutcome> saved;
    while (!(saved = writer.poll()) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_TRUE(saved.has_value());
    if (comm.rank() == 0) {
      EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                0.4);
    }
    ASSERT_TRUE(saved->ok) << saved->error;
    EXPECT_EQ(saved->path, dir / "step-00000001");
    EXPECT_FALSE(writer.in_flight());
    EXPECT_LT(saved->blocking_seconds, saved->seconds);
    const checkpoint::LoadedCheckpoint loaded = checkpoint::load_checkpoint(saved->path);
    for (const auto& t : state)
      EXPECT_TRUE(torch::equal(loaded.tensors.at(t.name), t.tensor)) << t.name;
  }
  comm.barrier("barrier(done)");
  if (comm.rank() == 0) std::filesystem::remove_all(dir);
}

// A caller that finishes a save still being written waits for all of it: that wait, sleeps
// included, is time the save held training up.
TEST(AsyncSave, FinishingASaveInFlightCountsTheWholeWaitAsBlocking) {
  distributed::MpiCommunicator comm(mpi_runtime().world(), 120.0);
  const auto dir = shared_scratch("finish", comm);
  auto state = make_state(6, 1 << 21);  // 6 × 8 MiB
  {
    checkpoint::CheckpointWriter writer(checkpoint::CheckpointDirectory(dir), {}, comm);
    writer.prepare_async(state);
    writer.start_async(state, manifest_at(1));
    const checkpoint::SaveOutcome saved = writer.finish();
    ASSERT_TRUE(saved.ok) << saved.error;
    EXPECT_GE(saved.blocking_seconds, 0.9 * saved.seconds)
        << "blocked " << saved.blocking_seconds << " s of the save's " << saved.seconds << " s";
  }
  comm.barrier("barrier(done)");
  if (comm.rank() == 0) std::filesystem::remove_all(dir);
}

// A failure on rank 0 alone (here its tensor table: a dtype safetensors cannot hold) still
// takes every rank through the same sums: both saves fail with the tensor named, `latest`
// stays unset, and nobody waits for the watchdog (10 s here, which would abort the test).
TEST(AsyncSave, AFailureOnRankZeroAloneFailsTheSaveOnEveryRankWithoutAStall) {
  distributed::MpiCommunicator comm(mpi_runtime().world(), 10.0);
  const auto dir = shared_scratch("rank0_fails", comm);
  auto state = make_state(4, 1 << 10);
  state.push_back({"student.phase", torch::zeros({4}, torch::kComplexFloat), -1});
  {
    checkpoint::CheckpointWriter writer(checkpoint::CheckpointDirectory(dir), {}, comm);
    writer.prepare_async(state);
    writer.start_async(state, manifest_at(1));
    const checkpoint::SaveOutcome async_saved = writer.finish();
    EXPECT_FALSE(async_saved.ok);
    if (comm.rank() == 0) {
      EXPECT_NE(async_saved.error.find("student.phase"), std::string::npos) << async_saved.error;
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "latest"));
    const checkpoint::SaveOutcome sync_saved = writer.save(state, manifest_at(2));
    EXPECT_FALSE(sync_saved.ok);
    EXPECT_NE(sync_saved.error.find("student.phase"), std::string::npos) << sync_saved.error;
    EXPECT_FALSE(std::filesystem::exists(dir / "latest"));
  }
  comm.barrier("barrier(done)");
  if (comm.rank() == 0) std::filesystem::remove_all(dir);
}

}  // namespace
