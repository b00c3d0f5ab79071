// The checkpoint writer's background worker (trainer/system/background_worker.h): jobs run on
// one long-lived thread, in the background scheduling class, one at a time.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "trainer/system/background_thread.h"
#include "trainer/system/background_worker.h"

namespace {

using namespace pathodino;

long thread_id() { return static_cast<long>(::syscall(SYS_gettid)); }

TEST(BackgroundWorker, RunsJobsOnOneBackgroundThreadAndWaitsForThem) {
  system::BackgroundWorker worker;
  std::atomic<long> first_thread{0}, second_thread{0};
  std::atomic<int> policy{-1};
  std::atomic<bool> finished{false};
  worker.post([&] {
    first_thread = thread_id();
    policy = sched_getscheduler(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    finished = true;
  });
  EXPECT_THROW(worker.post([] {}), std::logic_error) << "one job at a time";
  worker.wait();
  EXPECT_TRUE(finished.load()) << "wait() returned before the job did";
  worker.post([&] { second_thread = thread_id(); });
  worker.wait();
  EXPECT_NE(first_thread.load(), thread_id());
  EXPECT_EQ(first_thread.load(), second_thread.load()) << "the same thread for every job";
  EXPECT_EQ(policy.load(), SCHED_BATCH);
  EXPECT_NE(sched_getscheduler(0), SCHED_BATCH) << "the poster keeps its policy";
}

TEST(BackgroundWorker, DestructionWaitsForTheJobInHand) {
  std::atomic<bool> finished{false};
  {
    system::BackgroundWorker worker;
    worker.post([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      finished = true;
    });
  }
  EXPECT_TRUE(finished.load());
}

TEST(BackgroundThread, CallingThreadMovesToTheBatchClass) {
  std::atomic<int> policy{-1};
  std::atomic<bool> moved{false};
  std::thread([&] {
    moved = system::run_calling_thread_in_background();
    policy = sched_getscheduler(0);
  }).join();
  EXPECT_TRUE(moved.load());
  EXPECT_EQ(policy.load(), SCHED_BATCH);
}

}  // namespace
