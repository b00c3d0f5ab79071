// `pathodino eval robustness`: how much a backbone's features encode the site a tile came from
// rather than its tissue. On the config's labelled set (both splits) with its site column
// (eval.group_column, `site` by default): the Robustness Index over the images' eval.knn_k nearest
// neighbours (robustness_index.h; higher is better), and site predictability — a linear probe
// (eval.linear_* settings) trained to tell the site from the features on the train split, scored
// on the val split (lower is better; chance is one over the number of sites).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/vit/vision_transformer.h"
#include "trainer/eval/knn_evaluation.h"
#include "trainer/eval/labelled_set.h"
#include "trainer/eval/robustness_index.h"

namespace pathodino::eval {

struct RobustnessReport {
  std::string site_column;
  int64_t sites = 0, images = 0, k = 0;
  NeighbourCounts neighbours;
  double site_top1 = 0, site_balanced = 0;  // the site probe on held-out images
};

// Throws std::runtime_error naming the column and the set when the set has no site column or
// fewer than two sites.
RobustnessReport evaluate_robustness(models::VisionTransformer& backbone,
                                     const EvalSections& sections);
RobustnessReport evaluate_robustness(const LabelledEmbeddings& embedded,
                                     const EvalSections& sections);

// Each image's site (eval.group_column, `site` by default) as an index into the sorted values of
// both splits; nullopt when the set has no such column or only one value in it.
struct SiteIds {
  std::string column;
  std::vector<int64_t> train, val;  // in image order of each split
  int64_t sites = 0;
};
std::optional<SiteIds> site_ids(const LabelledSplits& splits, const EvalOptions& eval);

}  // namespace pathodino::eval
