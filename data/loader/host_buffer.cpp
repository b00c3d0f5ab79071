#include "data/loader/host_buffer.h"

#include <algorithm>
#include <vector>

namespace pathodino::data {

bool operator==(const HostBuffer& a, const HostBuffer& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

HostBuffer heap_buffer(size_t floats) {
  auto storage = std::make_shared<std::vector<float>>(floats);
  float* data = storage->data();
  return {data, floats, std::move(storage)};
}

}  // namespace pathodino::data
