#include "data/loader/sample_order.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "data/index_permutation.h"
#include "data/seed_mix.h"

namespace pathodino::data {

UniformOrder::UniformOrder(int64_t dataset_size, uint64_t seed) : size_(dataset_size), seed_(seed) {
  if (dataset_size <= 0) throw std::invalid_argument("sampler: the dataset is empty");
}

int64_t UniformOrder::at(int64_t position) const {
  const int64_t epoch = position / size_;
  // A permutation object is a few words: building one per call is cheaper than sharing a cache.
  const IndexPermutation permutation(size_, mix_seed({seed_, static_cast<uint64_t>(epoch)}));
  return permutation(position % size_);
}

GroupBalancedOrder::GroupBalancedOrder(std::vector<SampleGroup> groups, double alpha, uint64_t seed,
                                       int64_t epoch_length)
    : groups_(std::move(groups)), seed_(seed) {
  if (alpha < 0 || alpha > 1) throw std::invalid_argument("balance alpha must lie in [0, 1]");
  std::erase_if(groups_, [](const SampleGroup& g) {
    return std::all_of(g.runs.begin(), g.runs.end(), [](const auto& r) { return r.second <= 0; });
  });
  if (groups_.empty()) throw std::invalid_argument("sampler: no group has any sample");
  int64_t total = 0;
  std::vector<double> weight;
  for (const SampleGroup& g : groups_) {
    std::vector<int64_t> starts{0};
    for (const auto& [first, count] : g.runs)
      starts.push_back(starts.back() + std::max<int64_t>(count, 0));
    sizes_.push_back(starts.back());
    run_starts_.push_back(std::move(starts));
    total += sizes_.back();
    weight.push_back(std::pow(static_cast<double>(sizes_.back()), alpha));
  }
  epoch_ = epoch_length > 0 ? epoch_length : total;
  // Largest-remainder rounding: quotas sum to the epoch exactly.
  const double weight_sum = std::accumulate(weight.begin(), weight.end(), 0.0);
  std::vector<std::pair<double, size_t>> remainders;
  int64_t assigned = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    const double share = static_cast<double>(epoch_) * weight[g] / weight_sum;
    quota_.push_back(static_cast<int64_t>(std::floor(share)));
    assigned += quota_.back();
    remainders.emplace_back(share - std::floor(share), g);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = 0; assigned < epoch_; ++i, ++assigned)
    ++quota_[remainders[i % remainders.size()].second];
  quota_starts_.assign(1, 0);
  for (int64_t q : quota_) quota_starts_.push_back(quota_starts_.back() + q);
}

int64_t GroupBalancedOrder::member(size_t group, int64_t k) const {
  const auto& starts = run_starts_[group];
  const size_t run =
      static_cast<size_t>(std::upper_bound(starts.begin(), starts.end(), k) - starts.begin()) - 1;
  return groups_[group].runs[run].first + (k - starts[run]);
}

int64_t GroupBalancedOrder::at(int64_t position) const {
  const int64_t epoch = position / epoch_;
  const IndexPermutation slots(epoch_, mix_seed({seed_, static_cast<uint64_t>(epoch)}));
  const int64_t slot = slots(position % epoch_);
  const size_t g =
      static_cast<size_t>(std::upper_bound(quota_starts_.begin(), quota_starts_.end(), slot) -
                          quota_starts_.begin()) -
      1;
  // The group's draws continue across epochs: draw d of the group is member d mod size of the
  // group's cycle d / size, each cycle its own shuffle.
  const int64_t draw = epoch * quota_[g] + (slot - quota_starts_[g]);
  const int64_t cycle = draw / sizes_[g];
  const IndexPermutation members(sizes_[g],
                                 mix_seed({seed_, 0xBA1Aull, g, static_cast<uint64_t>(cycle)}));
  return member(g, members(draw % sizes_[g]));
}

}  // namespace pathodino::data
