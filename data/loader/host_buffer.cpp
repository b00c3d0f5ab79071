#include "data/loader/host_buffer.h"

#include <algorithm>
#include <memory>

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

}  // namespace pathodino::data
