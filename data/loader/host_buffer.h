// HostBuffer: the memory a batch's pixels are written into by a loader thread. Ordinary heap
// memory by default; when batches go to a GPU the trainer supplies an allocator of page-locked
// (pinned) host memory, so the loader fills pinned pages directly and the copy to the device runs
// asynchronously without a staging copy. `owner` keeps whatever allocated the bytes alive.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

namespace pathodino::data {

class HostBuffer {
 public:
  HostBuffer() = default;
  HostBuffer(float* data, size_t size, std::shared_ptr<void> owner)
      : data_(data), size_(size), owner_(std::move(owner)) {}

  float* data() { return data_; }
  const float* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  float& operator[](size_t i) { return data_[i]; }
  const float& operator[](size_t i) const { return data_[i]; }
  const float* begin() const { return data_; }
  const float* end() const { return data_ + size_; }
  // The allocation's owner, for allocators that hand out objects of their own (a pinned tensor).
  const std::shared_ptr<void>& owner() const { return owner_; }

 private:
  float* data_ = nullptr;
  size_t size_ = 0;
  std::shared_ptr<void> owner_;
};

bool operator==(const HostBuffer& a, const HostBuffer& b);

// Returns a buffer of `floats` floats (contents unspecified); called from loader threads.
using HostAllocator = std::function<HostBuffer(size_t floats)>;

// Heap memory, uninitialised.
HostBuffer heap_buffer(size_t floats);

// Heap memory handed out again once the batch that held it is gone (up to `keep` buffers are
// kept): after the first batches the loader writes into pages already mapped, not into fresh
// ones that the kernel must fault in and zero on every batch. Buffers of a size that is asked for
// again are reused whole; the pool lives as long as the allocator or any buffer of it.
HostAllocator recycling_heap_buffers(size_t keep = 16);

}  // namespace pathodino::data
