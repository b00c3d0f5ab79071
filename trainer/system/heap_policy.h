// Process-wide allocator policy for training on CPU. pathodino links gperftools' tcmalloc
// (Debian's libtcmalloc-minimal4) in front of glibc's malloc, and this keeps every freed page in
// tcmalloc's page heap instead of handing it back to the kernel.
//
// Why: a training step frees and re-allocates the same large activation buffers every step, and
// the comm thread allocates Open MPI's scratch buffers (tens of MB) per collective. With glibc the
// heap fragmented: it grew by 128 MiB every few steps with 1 GB in use (1.76 → 2.41 GB in 12
// vit_small steps), and each growth faulted fresh pages, which cost ~13 µs a page with two ranks
// on a 2-core VM (benchmarks/RESULTS.md, "tcmalloc instead of glibc's malloc"). tcmalloc reuses
// spans by size, so after the first steps a step faults (almost) no new pages. Call once, first
// thing in main(), before any thread starts.
#pragma once

#include <string>

namespace pathodino::system {

void keep_freed_memory_in_heap();

// "tcmalloc (…), release rate 0" — or what is wrong (e.g. glibc malloc still in front), for
// `pathodino doctor`.
std::string allocator_description();

// Whether malloc() in this process is tcmalloc's (a build linked the wrong way round would leave
// glibc's in front: the library is linked but not used).
bool tcmalloc_serves_malloc();

}  // namespace pathodino::system
