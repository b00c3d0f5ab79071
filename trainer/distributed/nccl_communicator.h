// NcclCommunicator: the Communicator for CUDA tensors (GPU builds only). Bootstrapped over MPI —
// rank 0's ncclUniqueId is broadcast, then ncclCommInitRank on the device of this local rank.
// Collectives run on the communicator's own CUDA stream, ordered after the work already queued on
// the compute stream (an event), and the compute stream waits for them only when a caller waits
// (another event), so a gradient bucket's all-reduce overlaps the rest of backward. A watchdog
// thread polls outstanding collectives and ncclCommGetAsyncError: a collective older than the
// timeout, or an asynchronous NCCL error, aborts the communicator and the job with the
// StallWatchdog's report. Compiled in CI; never run there (no GPU) — `ctest -L gpu` on a GPU node.
#pragma once

#include <mpi.h>

#include <memory>

#include "trainer/distributed/communicator.h"

namespace pathodino::distributed {

// Throws std::runtime_error in a build without CUDA/NCCL.
std::unique_ptr<Communicator> make_nccl_communicator(MPI_Comm parent, int device_index,
                                                     double timeout_seconds);

}  // namespace pathodino::distributed
