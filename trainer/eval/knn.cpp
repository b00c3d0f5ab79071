#include "trainer/eval/knn.h"

#include <torch/torch.h>

#include <algorithm>

namespace pathodino::eval {

torch::Tensor knn_predict(const torch::Tensor& bank, const torch::Tensor& bank_labels,
                          const torch::Tensor& queries, int64_t k, double temperature,
                          int64_t num_classes) {
  torch::NoGradGuard no_grad;
  k = std::min<int64_t>(k, bank.size(0));
  std::vector<torch::Tensor> predictions;
  for (int64_t start = 0; start < queries.size(0); start += 1024) {  // bounded similarity block
    const auto chunk = queries.slice(0, start, start + 1024);
    const auto [similarity, index] = torch::mm(chunk, bank.t()).topk(k, 1);
    const auto neighbours = bank_labels.index_select(0, index.flatten()).view(index.sizes());
    auto votes = torch::zeros({chunk.size(0), num_classes}, similarity.options());
    votes.scatter_add_(1, neighbours, (similarity / temperature).exp());
    predictions.push_back(votes.argmax(1));
  }
  return torch::cat(predictions);
}

double knn_top1(const torch::Tensor& bank, const torch::Tensor& bank_labels,
                const torch::Tensor& queries, const torch::Tensor& query_labels, int64_t k,
                double temperature, int64_t num_classes) {
  const auto predicted = knn_predict(bank, bank_labels, queries, k, temperature, num_classes);
  return predicted.eq(query_labels).to(torch::kFloat64).mean().item<double>();
}

}  // namespace pathodino::eval
