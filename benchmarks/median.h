// The median of a benchmark's per-round numbers (the mean of the middle two for an even count; 0
// for none): rounds on this noisy machine are summarised by it, never by the mean.
#pragma once

#include <algorithm>
#include <vector>

namespace pathodino::bench {

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace pathodino::bench
