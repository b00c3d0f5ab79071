#include "trainer/eval/robustness_evaluation.h"

#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "trainer/eval/embed.h"
#include "trainer/eval/linear_probe.h"

namespace pathodino::eval {
namespace {

std::string site_column(const EvalOptions& eval) {
  return eval.group_column.empty() ? "site" : eval.group_column;
}

// Each value's index among the sorted values of both splits.
SiteIds number_sites(const std::string& column, const std::vector<std::string>& train,
                     const std::vector<std::string>& val) {
  std::map<std::string, int64_t> ids;
  for (const auto* split : {&train, &val})
    for (const std::string& s : *split) ids.emplace(s, 0);
  SiteIds out{column, {}, {}, 0};
  for (auto& [name, id] : ids) id = out.sites++;
  for (const std::string& s : train) out.train.push_back(ids.at(s));
  for (const std::string& s : val) out.val.push_back(ids.at(s));
  return out;
}

// Both splits' sites; throws naming the column (and the set) when it is missing or has one value.
SiteIds checked_sites(const LabelledSplits& splits, const EvalOptions& eval) {
  const std::string column = site_column(eval);
  for (const auto* split : {&splits.train, &splits.val})
    if (!(*split)->group_values(column))
      throw std::runtime_error("'" + column + "' is not a column of " + (*split)->describe() +
                               " (eval.group_column names the site column)");
  std::optional<SiteIds> ids = site_ids(splits, eval);
  if (!ids)
    throw std::runtime_error("the labelled set has one value in column '" + column +
                             "': robustness needs two sites or more");
  return *ids;
}

}  // namespace

std::optional<SiteIds> site_ids(const LabelledSplits& splits, const EvalOptions& eval) {
  const std::string column = site_column(eval);
  const auto train = splits.train->group_values(column), val = splits.val->group_values(column);
  if (!train || !val) return std::nullopt;
  SiteIds ids = number_sites(column, *train, *val);
  if (ids.sites < 2) return std::nullopt;
  return ids;
}

RobustnessReport evaluate_robustness(models::VisionTransformer& backbone,
                                     const EvalSections& sections) {
  LabelledSplits splits = labelled_splits(sections);
  checked_sites(splits, sections.eval);  // before anything is embedded
  return evaluate_robustness(embed_labelled(backbone, std::move(splits), sections), sections);
}

RobustnessReport evaluate_robustness(const LabelledEmbeddings& embedded,
                                     const EvalSections& sections) {
  RobustnessReport r;
  const SiteIds ids = checked_sites(embedded.splits, sections.eval);
  r.site_column = ids.column;
  r.sites = ids.sites;
  const std::vector<int64_t>& train_sites = ids.train;
  const std::vector<int64_t>& val_sites = ids.val;
  const Embeddings& train = embedded.train;
  const Embeddings& val = embedded.val;
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
