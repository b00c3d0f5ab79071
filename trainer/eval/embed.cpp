#include "trainer/eval/embed.h"

#include <torch/torch.h>

#include <algorithm>
#include <exception>
#include <functional>
#include <future>
#include <numeric>
#include <thread>

#include "data/augment/resized_crop.h"

namespace pathodino::eval {
namespace {

struct HostBatch {
  torch::Tensor images;  // [n, 3, size, size] in [0, 1]
  std::vector<int64_t> labels;
};

// Images [start, start + n) of `indices`, resized, with `threads` threads (this one included)
// taking every threads-th image. A read's exception is rethrown here, the first one's.
HostBatch read_batch(const data::ImageSource& source, const std::vector<int64_t>& indices,
                     int64_t start, int64_t n, int64_t image_size, int64_t threads) {
  HostBatch batch{torch::empty({n, 3, image_size, image_size}),
                  std::vector<int64_t>(static_cast<size_t>(n))};
  float* out = batch.images.data_ptr<float>();
  const int64_t plane = 3 * image_size * image_size;
  std::vector<std::exception_ptr> errors(static_cast<size_t>(threads));
  const auto work = [&](int64_t t) {
    try {
      for (int64_t i = t; i < n; i += threads) {
        const data::LabelledImage item = source.read(indices[static_cast<size_t>(start + i)]);
        const data::FloatImage resized = data::crop_and_resize(
            item.image, {0, 0, item.image.height, item.image.width}, image_size);
        std::copy(resized.pixels.begin(), resized.pixels.end(), out + i * plane);
        batch.labels[static_cast<size_t>(i)] = item.label;
      }
    } catch (...) {
      errors[static_cast<size_t>(t)] = std::current_exception();
    }
  };
  std::vector<std::thread> helpers;
  for (int64_t t = 1; t < threads; ++t) helpers.emplace_back(work, t);
  work(0);
  for (std::thread& h : helpers) h.join();
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
  return batch;
}

}  // namespace

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
  // The next batch is read while the backbone runs on this one.
  const auto read_from = [&](int64_t start) {
    return std::async(std::launch::async, read_batch, std::cref(source), std::cref(indices), start,
                      std::min(batch_size, count - start), image_size,
                      std::max<int64_t>(read_threads, 1));
  };
  std::future<HostBatch> next;
  if (count > 0) next = read_from(0);
  for (int64_t start = 0; start < count; start += batch_size) {
    HostBatch batch = next.get();
    if (start + batch_size < count) next = read_from(start + batch_size);
    labels.insert(labels.end(), batch.labels.begin(), batch.labels.end());
    const torch::Tensor images = ((batch.images - mean_t) / std_t).to(device);
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
