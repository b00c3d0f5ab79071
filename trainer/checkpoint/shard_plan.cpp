#include "trainer/checkpoint/shard_plan.h"

#include <algorithm>
#include <numeric>

namespace pathodino::checkpoint {

std::vector<int> assign_shards(const std::vector<int64_t>& bytes, int world_size,
                               const std::vector<int>& fixed) {
  std::vector<size_t> order(bytes.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return bytes[a] > bytes[b]; });
  std::vector<int64_t> load(std::max(1, world_size), 0);
  std::vector<int> rank_of(bytes.size(), 0);
  const auto pinned = [&](size_t i) { return i < fixed.size() && fixed[i] >= 0; };
  for (size_t i = 0; i < bytes.size(); ++i)
    if (pinned(i)) {
      rank_of[i] = fixed[i];
      load[fixed[i]] += bytes[i];
    }
  for (size_t i : order) {
    if (pinned(i)) continue;
    const auto lightest = std::min_element(load.begin(), load.end()) - load.begin();
    rank_of[i] = static_cast<int>(lightest);
    load[lightest] += bytes[i];
  }
  return rank_of;
}

}  // namespace pathodino::checkpoint
