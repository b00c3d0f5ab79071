// Process-wide malloc policy for training on CPU. A training step frees and re-allocates the same
// large activation buffers every step; glibc serves blocks above 32 MiB with fresh mmap()s, and
// every step then pays the page faults of zeroing them again. Keeping freed memory in the heap
// removes that (measured in benchmarks/RESULTS.md). Call once, first thing in main().
#pragma once

namespace pathodino::system {

void keep_freed_memory_in_heap();

}  // namespace pathodino::system
