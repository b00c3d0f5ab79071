// Runs under mpirun -np 2 and -np 4: every assertion is a closed form of the rank and size.
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "mpi_test_main.h"
#include "trainer/config/resolve.h"
#include "trainer/distributed/stall_watchdog.h"

using pathodino::distributed::MpiRuntime;

TEST(MpiRuntime, WorldMatchesTheLauncher) {
  const MpiRuntime& mpi = mpi_runtime();
  const char* launched = std::getenv("OMPI_COMM_WORLD_SIZE");
  ASSERT_NE(launched, nullptr) << "not started by mpirun";
  EXPECT_EQ(mpi.world_size(), std::atoi(launched));
  EXPECT_EQ(mpi.rank(), std::atoi(std::getenv("OMPI_COMM_WORLD_RANK")));
  EXPECT_GE(mpi.world_size(), 2);
}

TEST(MpiRuntime, AllreduceOfRanksIsTheTriangularNumber) {
  const MpiRuntime& mpi = mpi_runtime();
  long rank = mpi.rank(), sum = 0;
  MPI_Allreduce(&rank, &sum, 1, MPI_LONG, MPI_SUM, mpi.world());
  const long n = mpi.world_size();
  EXPECT_EQ(sum, n * (n - 1) / 2);
}

TEST(MpiRuntime, LocalRankComesFromTheSharedMemorySplit) {
  // One node: the node-local communicator is the whole world, ordered by world rank.
  const MpiRuntime& mpi = mpi_runtime();
  EXPECT_EQ(mpi.local_size(), mpi.world_size());
  EXPECT_EQ(mpi.local_rank(), mpi.rank());
  std::vector<int> local_ranks(mpi.world_size());
  const int mine = mpi.local_rank();
  MPI_Allgather(&mine, 1, MPI_INT, local_ranks.data(), 1, MPI_INT, mpi.world());
  for (int r = 0; r < mpi.world_size(); ++r) EXPECT_EQ(local_ranks[r], r);
}

TEST(MpiRuntime, ThreadMultipleIsGranted) {
  // Gradient buckets are all-reduced from autograd's threads.
  EXPECT_EQ(mpi_runtime().thread_level(), MPI_THREAD_MULTIPLE);
}

TEST(MpiRuntime, EveryRankResolvesTheSameConfig) {
  const MpiRuntime& mpi = mpi_runtime();
  const auto config = pathodino::config::resolve_config(
      PATHODINO_SOURCE_DIR "/configs/debug/tiny_cpu.yaml", {"run.seed=7"});
  const unsigned long mine = std::hash<std::string>{}(pathodino::config::to_yaml(config));
  std::vector<unsigned long> all(mpi.world_size());
  MPI_Allgather(&mine, 1, MPI_UNSIGNED_LONG, all.data(), 1, MPI_UNSIGNED_LONG, mpi.world());
  for (int r = 0; r < mpi.world_size(); ++r) EXPECT_EQ(all[r], mine) << "rank " << r;
}

TEST(StallWatchdog, ReportNamesTheOperationStepAndLateRanks) {
  using pathodino::distributed::StallWatchdog;
  std::vector<StallWatchdog::RankPosition> ranks(4);
  ranks[0] = {12, 5, "all_reduce(gradient bucket 2 of 3, 1.00 MiB)"};
  ranks[1] = {12, 5, "all_reduce(gradient bucket 2 of 3, 1.00 MiB)"};
  ranks[2] = {9, 4, "all_reduce(SSL statistics)"};  // alive, behind
  ranks[3] = {};                                    // never answered
  const std::string text =
      StallWatchdog::report(1, 12, "all_reduce(gradient bucket 2 of 3, 1.00 MiB)", 5, 30.0, ranks);
  EXPECT_NE(text.find("collective timed out on rank 1 after 30 s (distributed.timeout_s): "
                      "all_reduce(gradient bucket 2 of 3, 1.00 MiB) at step 5 (collective #12)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("ranks that did not arrive: 2, 3\n"), std::string::npos) << text;
  EXPECT_NE(
      text.find("rank 2: last arrived at all_reduce(SSL statistics) at step 4 (collective #9)"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("rank 3: did not answer"), std::string::npos) << text;
  EXPECT_NE(text.find("exit 4"), std::string::npos) << text;
}

TEST(StallWatchdog, AnsweringThreadStartsAndStopsCleanly) {
  // Constructed and destroyed on every rank (a private communicator, a polling responder).
  for (int i = 0; i < 3; ++i) {
    pathodino::distributed::StallWatchdog watchdog(mpi_runtime().world());
    watchdog.arrived(1, "barrier(test)", 0);
    MPI_Barrier(mpi_runtime().world());
  }
}
