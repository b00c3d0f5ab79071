// Embeds a labelled image source with a backbone for evaluation: each whole image resized to
// `image_size`, normalised, CLS token L2-normalised — the features a kNN or linear probe reads.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "data/image_source.h"
#include "models/vit/vision_transformer.h"

namespace pathodino::eval {

struct Embeddings {
  torch::Tensor features;  // [N, D], unit rows, fp32, CPU
  torch::Tensor labels;    // [N], int64
};

// The values of an int64 tensor (labels, predictions) as a vector.
std::vector<int64_t> int64_values(const torch::Tensor& tensor);

// CLS tokens of images in [0, 1] ([n, 3, size, size], CPU): normalised by `mean` and `std`, run
// on the backbone's device, L2-normalised, returned as fp32 on the CPU. The caller sets eval mode.
torch::Tensor embed_batch(models::VisionTransformer& backbone, const torch::Tensor& images,
                          const std::vector<double>& mean, const std::vector<double>& std);

// The same over `parts` parts of the batch at once, each on its own thread, concatenated in
// order. Meant for a process set to one intra-op thread: on the CPU a small ViT's forward pass
// with several intra-op threads spends much of its time in threads waiting for each other
// between operations (and spinning while the image readers need the cores), where parts of the
// batch meet once (benchmarks/RESULTS.md). The backbone's device rule and eval mode as above.
torch::Tensor embed_batch(models::VisionTransformer& backbone, const torch::Tensor& images,
                          const std::vector<double>& mean, const std::vector<double>& std,
                          int64_t parts);

Embeddings embed_images(models::VisionTransformer& backbone, const data::ImageSource& source,
                        int64_t image_size, const std::vector<double>& mean,
                        const std::vector<double>& std, int64_t batch_size = 64);

// The images of `source` at `indices`, in that order (a rank's share of a distributed evaluation).
// The next batch is read while the backbone runs, by `read_threads` threads (batch_read_ahead.h).
Embeddings embed_images(models::VisionTransformer& backbone, const data::ImageSource& source,
                        const std::vector<int64_t>& indices, int64_t image_size,
                        const std::vector<double>& mean, const std::vector<double>& std,
                        int64_t batch_size = 64, int64_t read_threads = 1);

}  // namespace pathodino::eval
