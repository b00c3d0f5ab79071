#include "trainer/curate/cluster_agreement.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <utility>

namespace pathodino::curate {
namespace {

double entropy(const std::map<uint32_t, int64_t>& counts, double n) {
  double h = 0;
  for (const auto& [label, count] : counts) {
    const double p = static_cast<double>(count) / n;
    h -= p * std::log(p);
  }
  return h;
}

}  // namespace

double normalized_mutual_information(const std::vector<uint32_t>& a,
                                     const std::vector<uint32_t>& b) {
  if (a.size() != b.size())
    throw std::invalid_argument("cluster agreement: labellings of different lengths");
  if (a.empty()) return 1.0;
  std::map<uint32_t, int64_t> count_a, count_b;
  std::map<std::pair<uint32_t, uint32_t>, int64_t> joint;
  for (size_t i = 0; i < a.size(); ++i) {
    ++count_a[a[i]];
    ++count_b[b[i]];
    ++joint[{a[i], b[i]}];
  }
  const double n = static_cast<double>(a.size());
  double mutual = 0;
  for (const auto& [pair, count] : joint) {
    const double p = static_cast<double>(count) / n;
    mutual += p * std::log(p * n * n /
                           (static_cast<double>(count_a[pair.first]) *
                            static_cast<double>(count_b[pair.second])));
  }
  const double h = entropy(count_a, n) + entropy(count_b, n);
  return h > 0 ? std::max(0.0, 2 * mutual / h) : 1.0;
}

}  // namespace pathodino::curate
