#include "trainer/system/heap_policy.h"

#include <gperftools/malloc_extension.h>
#include <gperftools/tcmalloc.h>

#include <cstdlib>
#include <cstring>

namespace pathodino::system {

void keep_freed_memory_in_heap() { MallocExtension::instance()->SetMemoryReleaseRate(0.0); }

bool tcmalloc_serves_malloc() {
  // tcmalloc knows the blocks it handed out; a block from another malloc has no size in its books.
  constexpr size_t kBytes = 3 << 20;
  void* block = std::malloc(kBytes);
  if (block == nullptr) return false;
  std::memset(block, 1, 64);
  const bool ours = MallocExtension::instance()->GetOwnership(block) == MallocExtension::kOwned &&
                    tc_malloc_size(block) >= kBytes;
  std::free(block);
  return ours;
}

std::string allocator_description() {
  const char* version = tc_version(nullptr, nullptr, nullptr);
  if (!tcmalloc_serves_malloc())
    return std::string("glibc malloc (") + version +
           " is linked but does not serve malloc: check the link order)";
  const double rate = MallocExtension::instance()->GetMemoryReleaseRate();
  return std::string(version) + ", release rate " + std::to_string(rate).substr(0, 3) +
         (rate == 0.0 ? " (freed pages stay in the heap)" : "");
}

}  // namespace pathodino::system
