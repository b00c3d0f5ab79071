// MpiRuntime: owns MPI for the life of the process (MPI_Init_thread in the constructor,
// MPI_Finalize in the destructor) and knows this rank's place: rank and world size, and the
// local rank among the ranks sharing this node, asked from MPI itself (a shared-memory split),
// so it is the same under mpirun, srun --mpi=pmix and mpirun inside sbatch.
// Create exactly one, in main(), before any other MPI use.
#pragma once

#include <mpi.h>

#include <string>

namespace pathodino::distributed {

class MpiRuntime {
 public:
  MpiRuntime(int* argc, char*** argv);
  ~MpiRuntime();
  MpiRuntime(const MpiRuntime&) = delete;
  MpiRuntime& operator=(const MpiRuntime&) = delete;

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  int local_rank() const { return local_rank_; }
  int local_size() const { return local_size_; }
  // The thread support MPI granted (MPI_THREAD_*); gradient buckets are reduced from autograd
  // threads, which needs MPI_THREAD_MULTIPLE.
  int thread_level() const { return thread_level_; }
  MPI_Comm world() const { return MPI_COMM_WORLD; }

 private:
  int rank_ = 0, world_size_ = 1, local_rank_ = 0, local_size_ = 1, thread_level_ = 0;
  MPI_Comm local_ = MPI_COMM_NULL;
};

// The MPI library's own version string (one line); callable without MpiRuntime.
std::string mpi_library_version();

}  // namespace pathodino::distributed
