// How `eval` prints grouped scores (eval/group_scores.h): one indented line per group under the
// overall line, or a JSON object for --json.
#pragma once

#include <string>

#include "trainer/eval/group_scores.h"

namespace pathodino::cli {

// "  balanced accuracy 81.3%; by site: site_a 90.0% / 88.5% balanced (120), …; worst site_b,
// spread 20.0 / 18.1 points\n", or only the balanced accuracy when there is no breakdown.
std::string scores_text(const eval::GroupedScores& scores);

// {"balanced": …, "group_column": …, "groups": [{"group", "count", "top1", "balanced"}, …],
//  "worst_group": …, "top1_spread": …, "balanced_spread": …} without the enclosing braces, to
// splice into a command's JSON line.
std::string scores_json_fields(const eval::GroupedScores& scores);

}  // namespace pathodino::cli
