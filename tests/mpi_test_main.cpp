#include "mpi_test_main.h"

#include <gtest/gtest.h>

namespace {
const pathodino::dist::MpiRuntime* runtime = nullptr;
}

const pathodino::dist::MpiRuntime& mpi_runtime() { return *runtime; }

int main(int argc, char** argv) {
  pathodino::dist::MpiRuntime mpi(&argc, &argv);
  runtime = &mpi;
  testing::InitGoogleTest(&argc, argv);
  if (mpi.rank() != 0) testing::GTEST_FLAG(brief) = true;  // only failures from other ranks
  const int failed = RUN_ALL_TESTS();
  int any_failed = 0;
  MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return any_failed;
}
