#include "trainer/mil/mil_cross_validation.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "trainer/eval/group_scores.h"
#include "trainer/mil/auroc.h"
#include "trainer/mil/patient_folds.h"

namespace pathodino::mil {
namespace {

// Inverse class frequency over the training slides, normalised to mean 1 over the classes.
torch::Tensor class_weights(const BagSet& set, const std::vector<size_t>& train) {
  const auto classes = static_cast<int64_t>(set.classes.size());
  std::vector<double> count(static_cast<size_t>(classes), 0);
  for (const size_t b : train) count[static_cast<size_t>(set.bags[b].label)] += 1;
  std::vector<float> w;
  for (const double c : count)
    w.push_back(c > 0 ? static_cast<float>(static_cast<double>(train.size()) / (classes * c)) : 0);
  return torch::tensor(w);
}

Abmil train_fold(const BagSet& set, std::vector<size_t> train, const MilOptions& o, int64_t fold) {
  torch::manual_seed(o.seed + static_cast<uint64_t>(fold));
  AbmilOptions model_options = o.model;
  model_options.input_dim = set.bags.front().features.size(1);
  model_options.classes = static_cast<int64_t>(set.classes.size());
  Abmil model(model_options);
  model->train();
  torch::optim::Adam adam(model->parameters(),
                          torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));
  const torch::Tensor weights = class_weights(set, train);
  std::mt19937_64 rng(o.seed * 1000003 + static_cast<uint64_t>(fold));
  for (int64_t epoch = 0; epoch < o.epochs; ++epoch) {
    std::shuffle(train.begin(), train.end(), rng);
    for (const size_t b : train) {
      adam.zero_grad();
      const torch::Tensor logits = model->forward(set.bags[b].features).logits.unsqueeze(0);
      torch::nn::functional::cross_entropy(
          logits, torch::tensor({set.bags[b].label}),
          torch::nn::functional::CrossEntropyFuncOptions().weight(weights))
          .backward();
      adam.step();
    }
  }
  model->eval();
  return model;
}

SlidePrediction predict(Abmil& model, const SlideBag& bag, int64_t fold) {
  torch::NoGradGuard no_grad;
  const AbmilOutput out = model->forward(bag.features);
  const torch::Tensor p = torch::softmax(out.logits, 0).to(torch::kFloat64).contiguous();
  const torch::Tensor a = out.attention.contiguous();
  SlidePrediction s;
  s.fold = fold;
  s.probabilities.assign(p.data_ptr<double>(), p.data_ptr<double>() + p.numel());
  s.predicted = p.argmax().item<int64_t>();
  s.attention.assign(a.data_ptr<float>(), a.data_ptr<float>() + a.numel());
  return s;
}

std::pair<double, double> mean_and_std(const std::vector<double>& values) {
  const double mean =
      std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  double square = 0;
  for (const double v : values) square += (v - mean) * (v - mean);
  return {mean, values.size() > 1 ? std::sqrt(square / static_cast<double>(values.size() - 1)) : 0};
}

}  // namespace

MilReport cross_validate(const BagSet& set, const MilOptions& o) {
  std::vector<std::string> patients;
  std::vector<int64_t> labels;
  for (const SlideBag& bag : set.bags) {
    patients.push_back(bag.patient);
    labels.push_back(bag.label);
  }
  const std::vector<int64_t> fold_of =
      patient_folds(patients, labels, set.classes, o.folds, o.seed);
  MilReport report;
  report.slides.resize(set.bags.size());
  std::vector<double> aurocs, balanced;
  for (int64_t fold = 0; fold < o.folds; ++fold) {
    std::vector<size_t> train, test;
    for (size_t b = 0; b < set.bags.size(); ++b) (fold_of[b] == fold ? test : train).push_back(b);
    Abmil model = train_fold(set, train, o, fold);
    std::vector<std::vector<double>> probabilities;
    std::vector<int64_t> truth, predicted;
    for (const size_t b : test) {
      report.slides[b] = predict(model, set.bags[b], fold);
      probabilities.push_back(report.slides[b].probabilities);
      truth.push_back(set.bags[b].label);
      predicted.push_back(report.slides[b].predicted);
    }
    FoldScore score{static_cast<int64_t>(test.size()),
                    macro_auroc(probabilities, truth, static_cast<int64_t>(set.classes.size())),
                    eval::accuracy(predicted, truth).balanced};
    report.folds.push_back(score);
    aurocs.push_back(score.auroc);
    balanced.push_back(score.balanced);
  }
  std::tie(report.auroc_mean, report.auroc_std) = mean_and_std(aurocs);
  std::tie(report.balanced_mean, report.balanced_std) = mean_and_std(balanced);
  return report;
}

}  // namespace pathodino::mil
