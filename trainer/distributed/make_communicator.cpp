#include "trainer/distributed/make_communicator.h"

#include <stdexcept>

#include "trainer/distributed/mpi_communicator.h"
#include "trainer/distributed/nccl_communicator.h"

namespace pathodino::distributed {

std::unique_ptr<Communicator> make_communicator(const DistributedOptions& options,
                                                const MpiRuntime& mpi, bool cuda_tensors,
                                                int cuda_device) {
  Backend backend = options.backend;
  if (backend == Backend::auto_select) backend = cuda_tensors ? Backend::nccl : Backend::mpi;
  if (backend == Backend::nccl && !cuda_tensors)
    throw std::runtime_error("distributed.backend: nccl needs run.device cuda (tensors on a GPU)");
  if (backend == Backend::mpi && cuda_tensors)
    throw std::runtime_error(
        "distributed.backend: mpi carries host tensors; use nccl (or auto) with run.device cuda");
  if (backend == Backend::nccl)
    return make_nccl_communicator(mpi.world(), cuda_device, options.timeout_s);
  return std::make_unique<MpiCommunicator>(mpi.world(), options.timeout_s);
}

}  // namespace pathodino::distributed
