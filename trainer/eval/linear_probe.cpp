#include "trainer/eval/linear_probe.h"

#include <torch/torch.h>

#include "trainer/eval/embedding_shards.h"

namespace pathodino::eval {
namespace {

std::vector<int64_t> predict(const torch::Tensor& weight, const torch::Tensor& bias,
                             const Embeddings& e) {
  if (e.features.size(0) == 0) return {};
  return int64_values(torch::addmm(bias, e.features, weight.t()).argmax(1));
}

}  // namespace

LinearProbeResult train_linear_probe(const Embeddings& train, const Embeddings& val,
                                     int64_t num_classes, const EvalOptions& options) {
  const int64_t dim = train.features.size(1);
  auto weight = torch::zeros({num_classes, dim}, torch::kFloat32).requires_grad_(true);
  auto bias = torch::zeros({num_classes}, torch::kFloat32).requires_grad_(true);
  torch::optim::AdamW adamw(
      {weight, bias},
      torch::optim::AdamWOptions(options.linear_lr).weight_decay(options.linear_weight_decay));
  LinearProbeResult r;
  for (int64_t epoch = 0; epoch < options.linear_epochs; ++epoch) {
    adamw.zero_grad();
    const auto loss = torch::nn::functional::cross_entropy(
        torch::addmm(bias, train.features, weight.t()), train.labels);
    loss.backward();
    adamw.step();
    r.losses.push_back(loss.item<double>());
  }
  torch::NoGradGuard no_grad;
  r.weight = weight.detach();
  r.bias = bias.detach();
  r.train_top1 = accuracy(predict(r.weight, r.bias, train), int64_values(train.labels)).top1;
  r.val_predicted = predict(r.weight, r.bias, val);
  r.val_scores = score_by_group(r.val_predicted, int64_values(val.labels), std::nullopt, "");
  r.val_top1 = r.val_scores.overall.top1;
  r.train_count = train.features.size(0);
  r.val_count = val.features.size(0);
  r.num_classes = num_classes;
  return r;
}

LinearProbeResult evaluate_linear_probe(models::VisionTransformer& backbone,
                                        const EvalSections& sections,
                                        distributed::Communicator* comm) {
  const LabelledSplits splits = labelled_splits(sections);
  const QueryGroups groups = query_groups(*splits.val, sections.eval);
  const data::DataOptions& data = sections.data;
  const auto embed = [&](const data::ImageSource& source) {
    if (comm == nullptr || comm->world_size() == 1)
      return embed_images(backbone, source, data.global_crops_size, data.mean, data.std);
    return gather_embeddings(embed_share(backbone, source, data, *comm), source.size(), *comm);
  };
  const Embeddings train = embed(*splits.train);
  const Embeddings val = embed(*splits.val);
  LinearProbeResult r = train_linear_probe(
      train, val, static_cast<int64_t>(splits.train->class_names().size()), sections.eval);
  r.val_scores =
      score_by_group(r.val_predicted, int64_values(val.labels), groups.values, groups.column);
  return r;
}

}  // namespace pathodino::eval
