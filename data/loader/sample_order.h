// SampleOrder: the global stream of dataset indices, one per position, defined for every position
// without state so that any rank can jump to any step (resume = the step number) and any split of
// a step's global batch across ranks sees the same samples. Epoch e covers positions
// [e·epoch_length, (e+1)·epoch_length).
//   UniformOrder        every index exactly once per epoch, reshuffled per (seed, epoch);
//   GroupBalancedOrder  groups (a slide column: site, scanner, patient, …) drawn with weight
//                       ∝ count^α per epoch (α = 0: uniform over groups, α = 1: as in the data),
//                       each group's members reshuffled and cycled without repeats within a cycle.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace pathodino::data {

class SampleOrder {
 public:
  virtual ~SampleOrder() = default;
  virtual int64_t at(int64_t position) const = 0;  // thread-safe, position ≥ 0
  virtual int64_t epoch_length() const = 0;
};

class UniformOrder final : public SampleOrder {
 public:
  UniformOrder(int64_t dataset_size, uint64_t seed);
  int64_t at(int64_t position) const override;
  int64_t epoch_length() const override { return size_; }

 private:
  int64_t size_;
  uint64_t seed_;
};

// A group's members as runs of consecutive dataset indices (a slide's tiles are contiguous).
struct SampleGroup {
  std::string name;
  std::vector<std::pair<int64_t, int64_t>> runs;  // (first index, count)
};

class GroupBalancedOrder final : public SampleOrder {
 public:
  // epoch_length 0 = the total member count.
  GroupBalancedOrder(std::vector<SampleGroup> groups, double alpha, uint64_t seed,
                     int64_t epoch_length = 0);
  int64_t at(int64_t position) const override;
  int64_t epoch_length() const override { return epoch_; }
  // Draws of each group per epoch (exact: largest-remainder rounding of its weight).
  const std::vector<int64_t>& quotas() const { return quota_; }
  const std::vector<SampleGroup>& groups() const { return groups_; }

 private:
  int64_t member(size_t group, int64_t k) const;  // k-th member of a group, 0 ≤ k < its size

  std::vector<SampleGroup> groups_;
  std::vector<std::vector<int64_t>> run_starts_;  // per group: cumulative member counts of runs
  std::vector<int64_t> sizes_, quota_, quota_starts_;
  uint64_t seed_;
  int64_t epoch_ = 0;
};

}  // namespace pathodino::data
