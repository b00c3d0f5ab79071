// Scores of a classifier's predictions overall and per group of the queries (site, scanner, stain
// batch): top-1 and balanced accuracy (the mean over classes of each class's recall, so a
// majority class cannot hide a failed rare one), with the spread across groups — the worst group
// and max − min. A site where the features fail shows up here, not in the overall number.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pathodino::eval {

struct Accuracy {
  int64_t count = 0;
  double top1 = 0, balanced = 0;  // in [0, 1]; balanced over the classes present
};

struct GroupAccuracy : Accuracy {
  std::string group;
};

struct GroupedScores {
  Accuracy overall;
  std::string column;                           // empty: no breakdown
  std::vector<GroupAccuracy> groups;            // sorted by name; "" for rows without a value
  std::string worst_group;                      // the lowest balanced accuracy
  double top1_spread = 0, balanced_spread = 0;  // max − min over groups
};

Accuracy accuracy(const std::vector<int64_t>& predicted, const std::vector<int64_t>& labels);

// `groups`: one value per query, or nullopt for the overall scores alone (then `column` is
// ignored). Throws std::invalid_argument when the sizes differ.
GroupedScores score_by_group(const std::vector<int64_t>& predicted,
                             const std::vector<int64_t>& labels,
                             const std::optional<std::vector<std::string>>& groups,
                             const std::string& column);

}  // namespace pathodino::eval
