// DistributedOptions: the `distributed:` section — communicator backend, gradient buckets,
// collective timeout and cross-rank consistency checks.
#pragma once

#include <cstdint>

namespace pathodino::distributed {

enum class Backend { auto_select, mpi, nccl };

struct DistributedOptions {
  Backend backend = Backend::auto_select;  // auto: NCCL for CUDA tensors, MPI for CPU tensors
  double first_bucket_mb = 1.0;            // MiB; small so the first all-reduce starts early
  double bucket_mb = 25.0;                 // MiB
  double timeout_s = 600.0;                // a collective slower than this aborts the job
  int64_t param_check_every_steps = 1000;  // cross-rank parameter checksum; 0 = only at start
  bool zero1 = false;                      // shard optimizer state across ranks
};

}  // namespace pathodino::distributed
