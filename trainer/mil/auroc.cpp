#include "trainer/mil/auroc.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace pathodino::mil {

double auroc(const std::vector<double>& scores, const std::vector<bool>& positive) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Rank sum of the positives, tied scores sharing their mean rank.
  double rank_sum = 0;
  int64_t positives = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double mean_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    for (size_t t = i; t < j; ++t)
      if (positive[order[t]]) {
        rank_sum += mean_rank;
        ++positives;
      }
    i = j;
  }
  const auto negatives = static_cast<int64_t>(scores.size()) - positives;
  if (positives == 0 || negatives == 0) return std::numeric_limits<double>::quiet_NaN();
  const auto p = static_cast<double>(positives);
  return (rank_sum - p * (p + 1) / 2) / (p * static_cast<double>(negatives));
}

double macro_auroc(const std::vector<std::vector<double>>& probabilities,
                   const std::vector<int64_t>& labels, int64_t classes) {
  const auto one_vs_rest = [&](int64_t c) {
    std::vector<double> scores;
    std::vector<bool> positive;
    for (size_t i = 0; i < labels.size(); ++i) {
      scores.push_back(probabilities[i][static_cast<size_t>(c)]);
      positive.push_back(labels[i] == c);
    }
    return auroc(scores, positive);
  };
  if (classes == 2) return one_vs_rest(1);
  double sum = 0;
  int64_t counted = 0;
  for (int64_t c = 0; c < classes; ++c)
    if (const double a = one_vs_rest(c); !std::isnan(a)) {
      sum += a;
      ++counted;
    }
  return counted > 0 ? sum / static_cast<double>(counted)
                     : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace pathodino::mil
