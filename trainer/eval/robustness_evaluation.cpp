#include "trainer/eval/robustness_evaluation.h"

#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "trainer/eval/embed.h"
#include "trainer/eval/linear_probe.h"

namespace pathodino::eval {
namespace {

// Each image's site as an index into the sorted site names of both splits.
std::pair<std::vector<int64_t>, std::vector<int64_t>> site_ids(
    const std::vector<std::string>& train, const std::vector<std::string>& val, int64_t& sites) {
  std::map<std::string, int64_t> ids;
  for (const auto* split : {&train, &val})
    for (const std::string& s : *split) ids.emplace(s, 0);
  int64_t next = 0;
  for (auto& [name, id] : ids) id = next++;
  sites = next;
  const auto map = [&](const std::vector<std::string>& values) {
    std::vector<int64_t> out;
    for (const std::string& s : values) out.push_back(ids.at(s));
    return out;
  };
  return {map(train), map(val)};
}

std::vector<std::string> sites_of(const data::ImageSource& split, const std::string& column) {
  std::optional<std::vector<std::string>> values = split.group_values(column);
  if (!values)
    throw std::runtime_error("'" + column + "' is not a column of " + split.describe() +
                             " (eval.group_column names the site column)");
  return *values;
}

}  // namespace

RobustnessReport evaluate_robustness(models::VisionTransformer& backbone,
                                     const EvalSections& sections) {
  const LabelledSplits splits = labelled_splits(sections);
  RobustnessReport r;
  r.site_column = sections.eval.group_column.empty() ? "site" : sections.eval.group_column;
  auto [train_sites, val_sites] = site_ids(sites_of(*splits.train, r.site_column),
                                           sites_of(*splits.val, r.site_column), r.sites);
  if (r.sites < 2)
    throw std::runtime_error("the labelled set has one value in column '" + r.site_column +
                             "': robustness needs two sites or more");
  const data::DataOptions& data = sections.data;
  const Embeddings train =
      embed_images(backbone, *splits.train, data.global_crops_size, data.mean, data.std);
  const Embeddings val =
      embed_images(backbone, *splits.val, data.global_crops_size, data.mean, data.std);

  const torch::Tensor all = torch::cat({train.features, val.features});
  std::vector<int64_t> classes = int64_values(train.labels), sites = train_sites;
  const std::vector<int64_t> val_classes = int64_values(val.labels);
  classes.insert(classes.end(), val_classes.begin(), val_classes.end());
  sites.insert(sites.end(), val_sites.begin(), val_sites.end());
  r.images = all.size(0);
  r.k = std::min<int64_t>(sections.eval.knn_k, r.images - 1);
  r.neighbours = count_neighbours(all, classes, sites, r.k);

  const LinearProbeResult probe = train_linear_probe(
      {train.features, torch::tensor(train_sites, torch::kInt64)},
      {val.features, torch::tensor(val_sites, torch::kInt64)}, r.sites, sections.eval);
  r.site_top1 = probe.val_scores.overall.top1;
  r.site_balanced = probe.val_scores.overall.balanced;
  return r;
}

}  // namespace pathodino::eval
