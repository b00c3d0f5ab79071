// IndexPermutation: a seeded bijection of [0, n) evaluated one index at a time, so a rank can find
// the epoch's i-th sample without materialising the epoch's order (10M tiles would cost every rank
// 80 MB). A balanced Feistel network over the smallest even-bit power of two ≥ n, with cycle
// walking for the values that land outside [0, n) (at most 4 tries on average).
#pragma once

#include <cstdint>

namespace pathodino::data {

class IndexPermutation {
 public:
  IndexPermutation(int64_t n, uint64_t key);
  int64_t operator()(int64_t i) const;  // 0 ≤ i < n
  int64_t size() const { return n_; }

 private:
  uint64_t encrypt(uint64_t v) const;

  int64_t n_;
  int half_bits_ = 1;
  uint64_t half_mask_ = 1;
  uint64_t round_keys_[6] = {};
};

}  // namespace pathodino::data
