// The backend choice: distributed.backend = auto takes NCCL when the training tensors live on a
// GPU and MPI when they live in host memory; naming a backend that cannot carry those tensors is
// refused with the reason.
#pragma once

#include <memory>

#include "trainer/distributed/communicator.h"
#include "trainer/distributed/distributed_options.h"
#include "trainer/distributed/mpi_runtime.h"

namespace pathodino::distributed {

std::unique_ptr<Communicator> make_communicator(const DistributedOptions& options,
                                                const MpiRuntime& mpi, bool cuda_tensors,
                                                int cuda_device);

}  // namespace pathodino::distributed
