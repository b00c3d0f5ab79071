#include "trainer/eval/group_scores.h"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace pathodino::eval {

Accuracy accuracy(const std::vector<int64_t>& predicted, const std::vector<int64_t>& labels) {
  if (predicted.size() != labels.size())
    throw std::invalid_argument("accuracy: predictions and labels differ in length");
  Accuracy a;
  a.count = static_cast<int64_t>(labels.size());
  if (labels.empty()) return a;
  std::map<int64_t, std::pair<int64_t, int64_t>> per_class;  // label -> right, total
  int64_t right = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const bool hit = predicted[i] == labels[i];
    right += hit ? 1 : 0;
    auto& [class_right, class_total] = per_class[labels[i]];
    class_right += hit ? 1 : 0;
    ++class_total;
  }
  a.top1 = static_cast<double>(right) / static_cast<double>(labels.size());
  for (const auto& [label, counts] : per_class)
    a.balanced += static_cast<double>(counts.first) / static_cast<double>(counts.second);
  a.balanced /= static_cast<double>(per_class.size());
  return a;
}

GroupedScores score_by_group(const std::vector<int64_t>& predicted,
                             const std::vector<int64_t>& labels,
                             const std::optional<std::vector<std::string>>& groups,
                             const std::string& column) {
  GroupedScores scores;
  scores.overall = accuracy(predicted, labels);
  if (!groups) return scores;
  if (groups->size() != labels.size())
    throw std::invalid_argument("score_by_group: " + std::to_string(groups->size()) +
                                " group values for " + std::to_string(labels.size()) + " queries");
  scores.column = column;
  std::map<std::string, std::pair<std::vector<int64_t>, std::vector<int64_t>>> members;
  for (size_t i = 0; i < labels.size(); ++i) {
    auto& [p, l] = members[(*groups)[i]];
    p.push_back(predicted[i]);
    l.push_back(labels[i]);
  }
  for (const auto& [name, rows] : members) {
    GroupAccuracy g;
    static_cast<Accuracy&>(g) = accuracy(rows.first, rows.second);
    g.group = name;
    scores.groups.push_back(g);
  }
  if (scores.groups.empty()) return scores;
  const auto by_balanced = [](const GroupAccuracy& a, const GroupAccuracy& b) {
    return a.balanced < b.balanced;
  };
  const auto by_top1 = [](const GroupAccuracy& a, const GroupAccuracy& b) {
    return a.top1 < b.top1;
  };
  const auto [low, high] =
      std::minmax_element(scores.groups.begin(), scores.groups.end(), by_balanced);
  scores.worst_group = low->group;
  scores.balanced_spread = high->balanced - low->balanced;
  const auto [low1, high1] =
      std::minmax_element(scores.groups.begin(), scores.groups.end(), by_top1);
  scores.top1_spread = high1->top1 - low1->top1;
  return scores;
}

}  // namespace pathodino::eval
