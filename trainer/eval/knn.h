// DINO's weighted k-nearest-neighbour classifier (Wu et al. 2018; dino/eval_knn.py): for each
// query, the k most cosine-similar bank features vote for their labels with weight
// exp(similarity / T); the class with the largest total wins.
#pragma once

#include <cstdint>

#include <torch/types.h>

namespace pathodino::eval {

// Features are L2-normalised rows. Returns predicted labels [Q].
torch::Tensor knn_predict(const torch::Tensor& bank, const torch::Tensor& bank_labels,
                          const torch::Tensor& queries, int64_t k, double temperature,
                          int64_t num_classes);

// Share of queries whose predicted label is right, in [0, 1].
double knn_top1(const torch::Tensor& bank, const torch::Tensor& bank_labels,
                const torch::Tensor& queries, const torch::Tensor& query_labels, int64_t k,
                double temperature, int64_t num_classes);

}  // namespace pathodino::eval
