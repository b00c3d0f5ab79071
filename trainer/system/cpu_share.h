// How many cores one rank may use: the CPUs this process may run on (its affinity mask: a Slurm
// cpuset or an mpirun binding), divided among the node's local ranks when the mask was not already
// partitioned for this rank (all of the machine's CPUs visible, as with --bind-to none).
#pragma once

#include <cstdint>

namespace pathodino::system {

int64_t cores_per_rank(int local_ranks);

}  // namespace pathodino::system
