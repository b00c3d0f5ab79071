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
  torch::Tensor hits = torch::zeros({1}, torch::kInt64);
  if (my_queries.features.size(0) > 0)
    hits[0] = knn_predict(bank.features, bank.labels, my_queries.features, report.k,
                          report.temperature, num_classes_)
                  .eq(my_queries.labels)
                  .sum();
  comm_.all_reduce_sum(hits, "all_reduce(kNN hits)");
  report.top1 = static_cast<double>(hits[0].item<int64_t>()) /
                static_cast<double>(std::max<int64_t>(1, report.query_count));
  return report;
}

}  // namespace pathodino::eval
