#include "trainer/system/heap_policy.h"

#include <malloc.h>

namespace pathodino::system {

void keep_freed_memory_in_heap() {
  mallopt(M_MMAP_MAX, 0);         // serve every size from the heap ...
  mallopt(M_TRIM_THRESHOLD, -1);  // ... and never hand freed memory back to the kernel
}

}  // namespace pathodino::system
