// main() for GoogleTest executables that run under mpirun: MPI lives for the whole test run, and
// tests reach it through mpi_runtime(). Only rank 0 prints progress; failures print on any rank,
// and any failing rank makes mpirun exit non-zero.
#pragma once

#include "trainer/distributed/mpi_runtime.h"

const pathodino::distributed::MpiRuntime& mpi_runtime();
