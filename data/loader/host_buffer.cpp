#include "data/loader/host_buffer.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace pathodino::data {

bool operator==(const HostBuffer& a, const HostBuffer& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// Left uninitialised: the loader writes every value of a batch, and zeroing a batch first would
// be a pass over all of its memory for nothing.
HostBuffer heap_buffer(size_t floats) {
  std::shared_ptr<float[]> storage(new float[floats]);
  float* data = storage.get();
  return {data, floats, std::move(storage)};
}

namespace {

struct FreeBuffers {
  std::mutex mutex;
  size_t keep = 0;
  std::vector<std::pair<size_t, std::unique_ptr<float[]>>> free;  // (floats, memory)
};

}  // namespace

HostAllocator recycling_heap_buffers(size_t keep) {
  auto pool = std::make_shared<FreeBuffers>();
  pool->keep = keep;
  return [pool](size_t floats) {
    std::unique_ptr<float[]> memory;
    {
      std::lock_guard lock(pool->mutex);
      const auto same = std::find_if(pool->free.begin(), pool->free.end(),
                                     [floats](const auto& entry) { return entry.first == floats; });
      if (same != pool->free.end()) {
        memory = std::move(same->second);
        pool->free.erase(same);
      }
    }
    if (!memory) memory.reset(new float[floats]);  // uninitialised, as heap_buffer's
    float* data = memory.get();
    // The deleter holds the pool, so a buffer that outlives the allocator still has a home.
    std::shared_ptr<float> owner(memory.release(), [pool, floats](float* released) {
      std::unique_ptr<float[]> back(released);
      std::lock_guard lock(pool->mutex);
      if (pool->free.size() < pool->keep) pool->free.emplace_back(floats, std::move(back));
    });
    return HostBuffer{data, floats, std::move(owner)};
  };
}

}  // namespace pathodino::data
