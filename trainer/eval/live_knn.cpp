#include "trainer/eval/live_knn.h"

#include <torch/torch.h>

#include "trainer/eval/embed.h"
#include "trainer/eval/knn.h"
#include "trainer/train/data_source.h"

namespace pathodino::eval {
namespace {

std::vector<int64_t> share_of(int64_t size, int rank, int world) {
  std::vector<int64_t> indices;
  for (int64_t i = rank; i < size; i += world) indices.push_back(i);
  return indices;
}

// Every rank's rows, in rank order; ranks may hold one row fewer than others.
Embeddings gather_rows(const Embeddings& mine, int64_t total, dist::Communicator& comm) {
  const int world = comm.world_size();
  const int64_t rows = (total + world - 1) / world;
  const int64_t n = mine.features.size(0);
  torch::Tensor features = torch::zeros({rows, mine.features.size(1)}, torch::kFloat32);
  torch::Tensor labels = torch::full({rows}, -1, torch::kInt64);  // -1 marks padding
  features.slice(0, 0, n).copy_(mine.features);
  labels.slice(0, 0, n).copy_(mine.labels);
  features = comm.all_gather(features, "all_gather(kNN bank features)").flatten(0, 1);
  labels = comm.all_gather(labels, "all_gather(kNN bank labels)").flatten();
  const torch::Tensor real = labels.ge(0);
  return {features.index({real}), labels.index({real})};
}

}  // namespace

LiveKnn::LiveKnn(const ExperimentConfig& config, dist::Communicator& comm)
    : config_(config), comm_(comm) {
  const auto seed = static_cast<uint64_t>(config.run.seed);
  bank_ =
      train::make_labelled_source(config.data, config.eval.knn_dataset, seed, data::Split::train);
  queries_ =
      train::make_labelled_source(config.data, config.eval.knn_dataset, seed, data::Split::val);
  num_classes_ = static_cast<int64_t>(bank_->class_names().size());
}

KnnReport LiveKnn::evaluate(models::VisionTransformer& backbone) {
  const int rank = comm_.rank(), world = comm_.world_size();
  const int64_t size = config_.data.global_crops_size;
  const auto& mean = config_.data.mean;
  const auto& std = config_.data.std;
  const Embeddings my_bank =
      embed_images(backbone, *bank_, share_of(bank_->size(), rank, world), size, mean, std);
  const Embeddings my_queries =
      embed_images(backbone, *queries_, share_of(queries_->size(), rank, world), size, mean, std);
  const Embeddings bank = gather_rows(my_bank, bank_->size(), comm_);

  KnnReport report;
  report.num_classes = num_classes_;
  report.k = config_.eval.knn_k;
  report.temperature = config_.eval.knn_temperature;
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
