#include "mpi_test_main.h"

#include <gtest/gtest.h>

namespace {
const pathodino::distributed::MpiRuntime* runtime = nullptr;
}

const pathodino::distributed::MpiRuntime& mpi_runtime() { return *runtime; }

int main(int argc, char** argv) {
  pathodino::distributed::MpiRuntime mpi(&argc, &argv);
  runtime = &mpi;
  testing::InitGoogleTest(&argc, argv);
  if (mpi.rank() != 0) testing::GTEST_FLAG(brief) = true;  // only failures from other ranks
  const int failed = RUN_ALL_TESTS();
  int any_failed = 0;
  MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return any_failed;
}
