#include "trainer/eval/live_knn.h"

#include <torch/torch.h>

#include "trainer/eval/embed.h"
#include "trainer/eval/embedding_shards.h"
#include "trainer/eval/knn.h"

namespace pathodino::eval {

LiveKnn::LiveKnn(EvalSections sections, distributed::Communicator& comm)
    : sections_(std::move(sections)), comm_(comm) {
  const LabelledSplits splits = labelled_splits(sections_);
  bank_ = splits.train;
  queries_ = splits.val;
  num_classes_ = static_cast<int64_t>(bank_->class_names().size());
  groups_ = query_groups(*queries_, sections_.eval);
}

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
  return report;
}

}  // namespace pathodino::eval
