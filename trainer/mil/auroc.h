// Area under the ROC curve from scores, as the probability that a random positive scores above a
// random negative (ties count one half: the Mann–Whitney U statistic), and its macro one-vs-rest
// mean for more classes — what slide-level papers report.
#pragma once

#include <cstdint>
#include <vector>

namespace pathodino::mil {

// `positive[i]`: whether example i is of the positive class. NaN when one side is empty.
double auroc(const std::vector<double>& scores, const std::vector<bool>& positive);

// `probabilities`: n rows of `classes` values; labels in [0, classes). The mean over classes that
// occur and do not cover everything of each class's one-vs-rest AUROC; for two classes, the
// AUROC of class 1.
double macro_auroc(const std::vector<std::vector<double>>& probabilities,
                   const std::vector<int64_t>& labels, int64_t classes);

}  // namespace pathodino::mil
