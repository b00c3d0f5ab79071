#include "trainer/eval/embed.h"

#include <torch/torch.h>

#include <numeric>

#include "data/augment/resized_crop.h"

namespace pathodino::eval {

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
                        int64_t batch_size) {
  torch::NoGradGuard no_grad;
  const bool was_training = backbone->is_training();
  backbone->eval();
  const auto device = backbone->parameters().front().device();
  const auto mean_t =
      torch::tensor(std::vector<float>(mean.begin(), mean.end())).view({1, 3, 1, 1});
  const auto std_t = torch::tensor(std::vector<float>(std.begin(), std.end())).view({1, 3, 1, 1});
  std::vector<torch::Tensor> features;
  std::vector<int64_t> labels;
  const auto count = static_cast<int64_t>(indices.size());
  for (int64_t start = 0; start < count; start += batch_size) {
    const int64_t n = std::min(batch_size, count - start);
    auto images = torch::empty({n, 3, image_size, image_size});
    for (int64_t i = 0; i < n; ++i) {
      const data::LabelledImage item = source.read(indices[static_cast<size_t>(start + i)]);
      const data::FloatImage resized = data::crop_and_resize(
          item.image, {0, 0, item.image.height, item.image.width}, image_size);
      images[i].copy_(
          torch::from_blob(const_cast<float*>(resized.pixels.data()), {3, image_size, image_size}));
      labels.push_back(item.label);
    }
    images = ((images - mean_t) / std_t).to(device);
    features.push_back(
        torch::nn::functional::normalize(backbone->forward(images).cls.to(torch::kFloat32),
                                         torch::nn::functional::NormalizeFuncOptions().dim(1))
            .cpu());
  }
  backbone->train(was_training);
  if (features.empty()) {  // a rank with no share
    const int64_t dim = backbone->spec().embed_dim;
    return {torch::empty({0, dim}), torch::empty({0}, torch::kInt64)};
  }
  return {torch::cat(features), torch::tensor(labels, torch::kInt64)};
}

}  // namespace pathodino::eval
