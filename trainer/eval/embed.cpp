#include "trainer/eval/embed.h"

#include <torch/torch.h>

#include <future>
#include <numeric>
#include <optional>

#include "trainer/eval/batch_read_ahead.h"

namespace pathodino::eval {

std::vector<int64_t> int64_values(const torch::Tensor& tensor) {
  const torch::Tensor c = tensor.to(torch::kInt64).contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

torch::Tensor embed_batch(models::VisionTransformer& backbone, const torch::Tensor& images,
                          const std::vector<double>& mean, const std::vector<double>& std) {
  torch::NoGradGuard no_grad;
  const auto mean_t =
      torch::tensor(std::vector<float>(mean.begin(), mean.end())).view({1, 3, 1, 1});
  const auto std_t = torch::tensor(std::vector<float>(std.begin(), std.end())).view({1, 3, 1, 1});
  const auto device = backbone->parameters().front().device();
  const torch::Tensor cls = backbone->forward(((images - mean_t) / std_t).to(device)).cls;
  return torch::nn::functional::normalize(cls.to(torch::kFloat32),
                                          torch::nn::functional::NormalizeFuncOptions().dim(1))
      .cpu();
}

torch::Tensor embed_batch(models::VisionTransformer& backbone, const torch::Tensor& images,
                          const std::vector<double>& mean, const std::vector<double>& std,
                          int64_t parts) {
  if (parts < 2 || images.size(0) < 2) return embed_batch(backbone, images, mean, std);
  const std::vector<torch::Tensor> chunks = images.chunk(parts);
  std::vector<std::future<torch::Tensor>> others;
  for (size_t c = 1; c < chunks.size(); ++c)
    others.push_back(std::async(std::launch::async,
                                [&, c] { return embed_batch(backbone, chunks[c], mean, std); }));
  std::vector<torch::Tensor> features{embed_batch(backbone, chunks[0], mean, std)};
  for (auto& f : others) features.push_back(f.get());
  return torch::cat(features);
}

Embeddings embed_images(models::VisionTransformer& backbone, const data::ImageSource& source,
                        int64_t image_size, const std::vector<double>& mean,
                        const std::vector<double>& std, int64_t batch_size) {
  std::vector<int64_t> all(static_cast<size_t>(source.size()));
  std::iota(all.begin(), all.end(), int64_t{0});
  return embed_images(backbone, source, all, image_size, mean, std, batch_size);
}

Embeddings embed_images(models::VisionTransformer& backbone, const data::ImageSource& source,
                        const std::vector<int64_t>& indices, int64_t image_size,
                        const std::vector<double>& mean, const std::vector<double>& std,
                        int64_t batch_size, int64_t read_threads) {
  const bool was_training = backbone->is_training();
  backbone->eval();
  std::vector<torch::Tensor> features;
  std::vector<int64_t> labels;
  BatchReadAhead reader({{&source, indices}}, image_size, batch_size, read_threads);
  while (std::optional<ImageBatch> batch = reader.next()) {
    if (batch->error) {
      backbone->train(was_training);
      std::rethrow_exception(batch->error);
    }
    labels.insert(labels.end(), batch->labels.begin(), batch->labels.end());
    features.push_back(embed_batch(backbone, batch->images, mean, std));
  }
  backbone->train(was_training);
  if (features.empty()) {  // a rank with no share
    const int64_t dim = backbone->spec().embed_dim;
    return {torch::empty({0, dim}), torch::empty({0}, torch::kInt64)};
  }
  return {torch::cat(features), torch::tensor(labels, torch::kInt64)};
}

}  // namespace pathodino::eval
