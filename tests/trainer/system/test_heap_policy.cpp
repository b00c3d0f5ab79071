// The allocator policy (trainer/system/heap_policy.h): tcmalloc serves malloc in a pathodino
// process, and memory freed by one step is reused by the next without new page faults.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdlib>
#include <cstring>
#include <thread>

#include "trainer/system/heap_policy.h"

namespace {

using namespace pathodino;

long minor_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// Touches every page of a fresh block of `bytes`, frees it, and returns the page faults it took
// (-1 if the block could not be had).
long faults_to_fill_and_free(size_t bytes) {
  const long before = minor_faults();
  auto* block = static_cast<char*>(std::malloc(bytes));
  if (block == nullptr) return -1;
  std::memset(block, 7, bytes);
  asm volatile("" : : "r"(block) : "memory");  // the fill must happen: no malloc+free elision
  const long faults = minor_faults() - before;
  std::free(block);
  return faults;
}

TEST(HeapPolicy, TcmallocServesMalloc) {
  EXPECT_TRUE(system::tcmalloc_serves_malloc());
  EXPECT_NE(system::allocator_description().find("gperftools"), std::string::npos)
      << system::allocator_description();
}

TEST(HeapPolicy, FreedLargeBlocksAreReusedWithoutPageFaults) {
  system::keep_freed_memory_in_heap();
  EXPECT_NE(system::allocator_description().find("release rate 0"), std::string::npos)
      << system::allocator_description();
  constexpr size_t kBytes = 192 << 20;  // an activation-sized block (glibc would mmap it afresh)
  const long first = faults_to_fill_and_free(kBytes);
  ASSERT_GE(first, 0) << "no 192 MB block";
  // Where the kernel backs the heap with transparent huge pages, a fill faults ~100 times, not
  // 49 k, and there is nothing to tell apart.
  if (first < static_cast<long>(kBytes / 4096 / 2))
    GTEST_SKIP() << "the first fill took only " << first << " page faults (huge pages?)";
  // Freed, then needed again, as every training step does — also from another thread, as the comm
  // thread's MPI scratch buffers are.
  const long again = faults_to_fill_and_free(kBytes);
  long from_thread = 0;
  std::thread([&] { from_thread = faults_to_fill_and_free(kBytes); }).join();
  EXPECT_LT(again, 256) << "of " << first << " page faults the first time";
  EXPECT_LT(from_thread, 256) << "of " << first << " page faults the first time";
}

}  // namespace
