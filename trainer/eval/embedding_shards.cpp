#include "trainer/eval/embedding_shards.h"

#include <torch/torch.h>

namespace pathodino::eval {

Embeddings embed_share(models::VisionTransformer& backbone, const data::ImageSource& source,
                       const data::DataOptions& data, distributed::Communicator& comm) {
  std::vector<int64_t> indices;
  for (int64_t i = comm.rank(); i < source.size(); i += comm.world_size()) indices.push_back(i);
  return embed_images(backbone, source, indices, data.global_crops_size, data.mean, data.std);
}

Embeddings gather_embeddings(const Embeddings& mine, int64_t total,
                             distributed::Communicator& comm) {
  const int world = comm.world_size();
  const int64_t rows = (total + world - 1) / world;  // ranks hold this many, or one fewer
  const int64_t n = mine.features.size(0);
  torch::Tensor features = torch::zeros({rows, mine.features.size(1)}, torch::kFloat32);
  torch::Tensor labels = torch::full({rows}, -1, torch::kInt64);  // -1 marks padding
  features.slice(0, 0, n).copy_(mine.features);
  labels.slice(0, 0, n).copy_(mine.labels);
  features = comm.all_gather(features, "all_gather(embedding features)").flatten(0, 1);
  labels = comm.all_gather(labels, "all_gather(embedding labels)").flatten();
  const torch::Tensor real = labels.ge(0);
  return {features.index({real}), labels.index({real})};
}

std::vector<int64_t> gathered_order(int64_t total, int world) {
  std::vector<int64_t> order;
  for (int r = 0; r < world; ++r)
    for (int64_t i = r; i < total; i += world) order.push_back(i);
  return order;
}

}  // namespace pathodino::eval
