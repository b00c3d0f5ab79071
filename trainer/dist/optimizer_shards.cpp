#include "trainer/dist/optimizer_shards.h"

#include <torch/torch.h>

#include "trainer/checkpoint/shard_plan.h"

namespace pathodino::dist {

OptimizerShards::OptimizerShards(std::vector<torch::Tensor> params, Communicator& comm)
    : params_(std::move(params)), comm_(comm) {
  std::vector<int64_t> bytes;
  for (const torch::Tensor& p : params_) bytes.push_back(static_cast<int64_t>(p.nbytes()));
  owner_ = checkpoint::assign_shards(bytes, comm_.world_size());
}

void OptimizerShards::broadcast_updated() {
  torch::NoGradGuard no_grad;
  for (int root = 0; root < comm_.world_size(); ++root) {
    std::vector<torch::Tensor> owned;
    for (size_t i = 0; i < params_.size(); ++i)
      if (owner_[i] == root) owned.push_back(params_[i].view(-1));
    if (owned.empty()) continue;
    torch::Tensor flat = torch::cat(owned);
    comm_.broadcast(flat, root,
                    "broadcast(ZeRO-1 parameters of rank " + std::to_string(root) + ")");
    if (root == comm_.rank()) continue;
    int64_t offset = 0;
    for (torch::Tensor& view : owned) {
      view.copy_(flat.slice(0, offset, offset + view.numel()));
      offset += view.numel();
    }
  }
}

}  // namespace pathodino::dist
