#include "trainer/system/cpu_share.h"

#include <sched.h>

#include <algorithm>
#include <thread>

namespace pathodino::system {

int64_t cores_per_rank(int local_ranks) {
  const int64_t machine = std::max(1u, std::thread::hardware_concurrency());
  int64_t allowed = machine;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) allowed = std::max(1, CPU_COUNT(&set));
  if (allowed < machine) return allowed;  // already this rank's share
  return std::max<int64_t>(1, allowed / std::max(1, local_ranks));
}

}  // namespace pathodino::system
