#include "trainer/cli/score_report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace pathodino::cli {

std::string scores_text(const eval::GroupedScores& scores) {
  std::string text = fmt::format("  balanced accuracy {:.2f}%", 100 * scores.overall.balanced);
  if (scores.column.empty()) return text + "\n";
  text += fmt::format("; by {} (top-1 / balanced, queries):", scores.column);
  for (const eval::GroupAccuracy& g : scores.groups)
    text += fmt::format("\n    {}: {:.2f}% / {:.2f}% ({})", g.group.empty() ? "(none)" : g.group,
                        100 * g.top1, 100 * g.balanced, g.count);
  return text + fmt::format("\n  worst {} {}; spread {:.2f} / {:.2f} points\n", scores.column,
                            scores.worst_group, 100 * scores.top1_spread,
                            100 * scores.balanced_spread);
}

std::string scores_json_fields(const eval::GroupedScores& scores) {
  nlohmann::json j{{"balanced", scores.overall.balanced}};
  if (!scores.column.empty()) {
    nlohmann::json groups = nlohmann::json::array();
    for (const eval::GroupAccuracy& g : scores.groups)
      groups.push_back(
          {{"group", g.group}, {"count", g.count}, {"top1", g.top1}, {"balanced", g.balanced}});
    j["group_column"] = scores.column;
    j["groups"] = groups;
    j["worst_group"] = scores.worst_group;
    j["top1_spread"] = scores.top1_spread;
    j["balanced_spread"] = scores.balanced_spread;
  }
  const std::string object = j.dump();
  return object.substr(1, object.size() - 2);
}

}  // namespace pathodino::cli
