// The backend choice: distributed.backend = auto takes NCCL when the training tensors live on a
// GPU and MPI when they live in host memory; naming a backend that cannot carry those tensors is
// refused with the reason.
#pragma once

#include <memory>

#include "trainer/dist/communicator.h"
#include "trainer/dist/dist_options.h"
#include "trainer/dist/mpi_runtime.h"

namespace pathodino::dist {

std::unique_ptr<Communicator> make_communicator(const DistributedOptions& options,
                                                const MpiRuntime& mpi, bool cuda_tensors,
                                                int cuda_device);

}  // namespace pathodino::dist
