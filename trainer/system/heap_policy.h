// Process-wide malloc policy for training on CPU. A training step frees and re-allocates the same
// large activation buffers every step; glibc serves blocks above 32 MiB with fresh mmap()s, and
// every step then pays the page faults of zeroing them again. Keeping freed memory in the heap
// removes that (measured in benchmarks/RESULTS.md). One arena for all threads, so that a thread's
// freed blocks serve the others too. Call once, first thing in main(), before any thread starts.
#pragma once

namespace pathodino::system {

void keep_freed_memory_in_heap();

}  // namespace pathodino::system
