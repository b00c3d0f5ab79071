#include "trainer/eval/robustness_index.h"

#include <torch/torch.h>

#include <limits>
#include <stdexcept>
#include <string>

namespace pathodino::eval {

double NeighbourCounts::robustness_index() const {
  const int64_t total = same_class_other_site + other_class_same_site;
  return total == 0 ? 0.5 : static_cast<double>(same_class_other_site) / static_cast<double>(total);
}

NeighbourCounts count_neighbours(const torch::Tensor& features, const std::vector<int64_t>& classes,
                                 const std::vector<int64_t>& sites, int64_t k) {
  const int64_t n = features.size(0);
  if (static_cast<int64_t>(classes.size()) != n || static_cast<int64_t>(sites.size()) != n)
    throw std::invalid_argument("count_neighbours: " + std::to_string(n) + " rows, " +
                                std::to_string(classes.size()) + " classes, " +
                                std::to_string(sites.size()) + " sites");
  if (k < 1 || k >= n)
    throw std::invalid_argument("count_neighbours: k = " + std::to_string(k) + " for " +
                                std::to_string(n) + " images (needs 1 <= k < N)");
  NeighbourCounts counts;
  constexpr int64_t kBlock = 1024;  // rows of the similarity matrix held at once
  for (int64_t start = 0; start < n; start += kBlock) {
    const int64_t rows = std::min(kBlock, n - start);
    torch::Tensor similarity = features.narrow(0, start, rows).matmul(features.t());
    // The image itself is no neighbour of its own.
    similarity.index_put_({torch::arange(rows), torch::arange(start, start + rows)},
                          -std::numeric_limits<float>::infinity());
    const torch::Tensor nearest = std::get<1>(similarity.topk(k, 1)).contiguous();
    const int64_t* idx = nearest.data_ptr<int64_t>();
    for (int64_t r = 0; r < rows; ++r) {
      const auto i = static_cast<size_t>(start + r);
      for (int64_t j = 0; j < k; ++j) {
        const auto m = static_cast<size_t>(idx[r * k + j]);
        const bool same_class = classes[m] == classes[i], same_site = sites[m] == sites[i];
        (same_class ? (same_site ? counts.same_class_same_site : counts.same_class_other_site)
                    : (same_site ? counts.other_class_same_site : counts.other_class_other_site))++;
      }
    }
  }
  return counts;
}

}  // namespace pathodino::eval
