#include "trainer/eval/live_knn.h"

#include <torch/torch.h>

#include <algorithm>

#include "trainer/eval/embed.h"
#include "trainer/eval/embedding_shards.h"
#include "trainer/eval/knn.h"
#include "trainer/eval/robustness_index.h"

namespace pathodino::eval {

LiveKnn::LiveKnn(EvalSections sections, distributed::Communicator& comm)
    : sections_(std::move(sections)), comm_(comm) {
  const LabelledSplits splits = labelled_splits(sections_);
  bank_ = splits.train;
  queries_ = splits.val;
  num_classes_ = static_cast<int64_t>(bank_->class_names().size());
  groups_ = query_groups(*queries_, sections_.eval);
  sites_ = site_ids(splits, sections_.eval);
}

namespace {

// The sites of gathered rows (embedding_shards.h: rank order, not image order).
std::vector<int64_t> in_gathered_order(const std::vector<int64_t>& sites, int world) {
  std::vector<int64_t> out;
  for (const int64_t i : gathered_order(static_cast<int64_t>(sites.size()), world))
    out.push_back(sites[static_cast<size_t>(i)]);
  return out;
}

// The Robustness Index over the bank and every rank's queries; every rank computes the same.
// Rows without a class (label -1) are not gathered, so their sites would no longer line up with
// the rows: then the index is left out (the same decision on every rank, on gathered sizes).
std::optional<double> robustness_index(const Embeddings& bank, const Embeddings& my_queries,
                                       const SiteIds& sites, int64_t knn_k,
                                       distributed::Communicator& comm) {
  const Embeddings queries =
      gather_embeddings(my_queries, static_cast<int64_t>(sites.val.size()), comm);
  if (bank.features.size(0) != static_cast<int64_t>(sites.train.size()) ||
      queries.features.size(0) != static_cast<int64_t>(sites.val.size()))
    return std::nullopt;
  std::vector<int64_t> classes = int64_values(bank.labels);
  const std::vector<int64_t> query_classes = int64_values(queries.labels);
  classes.insert(classes.end(), query_classes.begin(), query_classes.end());
  std::vector<int64_t> site = in_gathered_order(sites.train, comm.world_size());
  const std::vector<int64_t> query_sites = in_gathered_order(sites.val, comm.world_size());
  site.insert(site.end(), query_sites.begin(), query_sites.end());
  const torch::Tensor all = torch::cat({bank.features, queries.features});
  const int64_t k = std::min<int64_t>(knn_k, all.size(0) - 1);
  return count_neighbours(all, classes, site, k).robustness_index();
}

}  // namespace

KnnReport LiveKnn::evaluate(models::VisionTransformer& backbone) {
  const Embeddings bank =
      gather_embeddings(embed_share(backbone, *bank_, sections_.data, comm_), bank_->size(), comm_);
  const Embeddings my_queries = embed_share(backbone, *queries_, sections_.data, comm_);

  KnnReport report;
  report.num_classes = num_classes_;
  report.k = sections_.eval.knn_k;
  report.temperature = sections_.eval.knn_temperature;
  report.bank_size = bank.features.size(0);
  report.query_count = queries_->size();
  // Row 0: each query's prediction + 1, row 1: its label + 1, filled by the rank that embedded
  // it (query i on rank i mod world) and summed, so zeros never hide a class.
  torch::Tensor rows = torch::zeros({2, report.query_count}, torch::kInt64);
  if (my_queries.features.size(0) > 0) {
    const torch::Tensor mine =
        torch::arange(comm_.rank(), report.query_count, comm_.world_size(), torch::kInt64);
    rows[0].index_put_({mine}, knn_predict(bank.features, bank.labels, my_queries.features,
                                           report.k, report.temperature, num_classes_) +
                                   1);
    rows[1].index_put_({mine}, my_queries.labels + 1);
  }
  comm_.all_reduce_sum(rows, "all_reduce(kNN predictions)");
  rows = (rows - 1).contiguous();
  const int64_t* p = rows.data_ptr<int64_t>();
  const int64_t n = report.query_count;
  report.scores = score_by_group({p, p + n}, {p + n, p + 2 * n}, groups_.values, groups_.column);
  report.top1 = report.scores.overall.top1;
  if (sites_)
    report.robustness_index =
        robustness_index(bank, my_queries, *sites_, sections_.eval.knn_k, comm_);
  return report;
}

}  // namespace pathodino::eval
