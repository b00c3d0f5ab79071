#include "trainer/distributed/mpi_runtime.h"

#include <stdexcept>
#include <string>

namespace pathodino::distributed {

MpiRuntime::MpiRuntime(int* argc, char*** argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) throw std::logic_error("MpiRuntime: MPI is already initialised in this process");
  MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &thread_level_);
  // Gradient buckets and the checkpoint save call MPI from their own threads, on their own
  // communicators: an MPI built without thread support would corrupt them silently.
  if (thread_level_ < MPI_THREAD_MULTIPLE) {
    MPI_Finalize();
    throw std::runtime_error(
        "MPI: the library provides thread level " + std::to_string(thread_level_) +
        ", pathodino needs MPI_THREAD_MULTIPLE (" + std::to_string(MPI_THREAD_MULTIPLE) +
        "): use an MPI built with thread support (Open MPI 4+, MPICH --enable-threads=multiple)");
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &world_size_);
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local_);
  MPI_Comm_rank(local_, &local_rank_);
  MPI_Comm_size(local_, &local_size_);
}

MpiRuntime::~MpiRuntime() {
  if (local_ != MPI_COMM_NULL) MPI_Comm_free(&local_);
  MPI_Finalize();
}

std::string mpi_library_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(text, &length);
  std::string version(text, length);
  const auto line_end = version.find_first_of("\r\n");
  if (line_end != std::string::npos) version.resize(line_end);
  while (!version.empty() && (version.back() == ',' || version.back() == ' ')) version.pop_back();
  return version;
}

}  // namespace pathodino::distributed
