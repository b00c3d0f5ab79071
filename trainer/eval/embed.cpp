#include "trainer/eval/embed.h"

#include <torch/torch.h>

#include "data/augment/resized_crop.h"

namespace pathodino::eval {

Embeddings embed_images(models::VisionTransformer& backbone, const data::ImageSource& source,
                        int64_t image_size, const std::vector<double>& mean,
                        const std::vector<double>& std, int64_t batch_size) {
  torch::NoGradGuard no_grad;
  const bool was_training = backbone->is_training();
  backbone->eval();
  const auto device = backbone->parameters().front().device();
  const auto mean_t =
      torch::tensor(std::vector<float>(mean.begin(), mean.end())).view({1, 3, 1, 1});
  const auto std_t = torch::tensor(std::vector<float>(std.begin(), std.end())).view({1, 3, 1, 1});
  std::vector<torch::Tensor> features;
  std::vector<int64_t> labels;
  for (int64_t start = 0; start < source.size(); start += batch_size) {
    const int64_t n = std::min(batch_size, source.size() - start);
    auto images = torch::empty({n, 3, image_size, image_size});
    for (int64_t i = 0; i < n; ++i) {
      const data::LabelledImage item = source.read(start + i);
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
  return {torch::cat(features), torch::tensor(labels, torch::kInt64)};
}

}  // namespace pathodino::eval
