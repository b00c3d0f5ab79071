// Deterministic seeds for parallel work: every image, crop and mask gets its own stream derived
// from (run seed, step, index, …), so results do not depend on thread count or scheduling.
#pragma once

#include <cstdint>
#include <initializer_list>

namespace pathodino::data {

// splitmix64 finaliser folded over the parts.
constexpr uint64_t mix_seed(std::initializer_list<uint64_t> parts) {
  uint64_t h = 0x9E3779B97F4A7C15ull;
  for (uint64_t part : parts) {
    h ^= part + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h ^= h >> 30;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 27;
    h *= 0x94D049BB133111EBull;
    h ^= h >> 31;
  }
  return h;
}

}  // namespace pathodino::data
