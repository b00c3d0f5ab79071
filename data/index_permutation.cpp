#include "data/index_permutation.h"

#include <stdexcept>

#include "data/seed_mix.h"

namespace pathodino::data {

IndexPermutation::IndexPermutation(int64_t n, uint64_t key) : n_(n) {
  if (n <= 0) throw std::invalid_argument("permutation of an empty range");
  while ((uint64_t{1} << (2 * half_bits_)) < static_cast<uint64_t>(n)) ++half_bits_;
  half_mask_ = (uint64_t{1} << half_bits_) - 1;
  for (uint64_t r = 0; r < 6; ++r) round_keys_[r] = mix_seed({key, r});
}

uint64_t IndexPermutation::encrypt(uint64_t v) const {
  uint64_t left = v >> half_bits_, right = v & half_mask_;
  for (uint64_t k : round_keys_) {
    uint64_t f = (right ^ k) * 0xBF58476D1CE4E5B9ull;
    f ^= f >> 31;
    f *= 0x94D049BB133111EBull;
    f ^= f >> 29;
    const uint64_t next = left ^ (f & half_mask_);
    left = right;
    right = next;
  }
  return (left << half_bits_) | right;
}

int64_t IndexPermutation::operator()(int64_t i) const {
  // Each encryption is a bijection of the power-of-two domain; walking the cycle from i until it
  // re-enters [0, n) restricts it to a bijection of [0, n).
  uint64_t v = static_cast<uint64_t>(i);
  do v = encrypt(v);
  while (v >= static_cast<uint64_t>(n_));
  return static_cast<int64_t>(v);
}

}  // namespace pathodino::data
