#include "trainer/system/heap_policy.h"

#include <malloc.h>

namespace pathodino::system {

void keep_freed_memory_in_heap() {
  mallopt(M_MMAP_MAX, 0);         // serve every size from the heap ...
  mallopt(M_TRIM_THRESHOLD, -1);  // ... and never hand freed memory back to the kernel ...
  mallopt(M_ARENA_MAX, 1);        // ... to any thread: MPI's comm thread allocates each
                                  // collective's scratch buffers (tens of MB) afresh, and from a
                                  // thread arena of its own that cost 25% of the bucketed
                                  // all-reduce bandwidth (benchmarks/RESULTS.md, issue 5)
}

}  // namespace pathodino::system
