#include "trainer/distributed/optimizer_shards.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "trainer/optim/grad_clip.h"

namespace pathodino::distributed {

OptimizerShards::OptimizerShards(std::vector<torch::Tensor> params, const GradientReducer& reducer,
                                 Communicator& comm)
    : comm_(comm) {
  torch::NoGradGuard no_grad;
  const int rank = comm_.rank(), world = comm_.world_size();
  layout_.resize(params.size());
  const std::vector<BucketLayout> buckets = reducer.layout();
  for (size_t b = 0; b < buckets.size(); ++b) {
    const BucketLayout& bucket = buckets[b];
    if (bucket.numel % world != 0)
      throw std::logic_error("OptimizerShards: the reducer's buckets are not reduce-scattered");
    const torch::Tensor& like = params[bucket.members.front()];
    torch::Tensor flat = torch::zeros({bucket.numel}, like.options().requires_grad(false));
    const int64_t chunk = bucket.numel / world;
    const torch::Tensor& reduced = reducer.reduced_chunk(b);
    for (size_t m = 0; m < bucket.members.size(); ++m) {
      const size_t i = bucket.members[m];
      torch::Tensor& p = params[i];
      const int64_t begin = bucket.offsets[m], end = begin + p.numel();
      flat.narrow(0, begin, p.numel()).copy_(p.detach().reshape(-1));
      p.set_data(flat.narrow(0, begin, p.numel()).view(p.sizes()));
      for (int r = 0; r < world; ++r) {
        const int64_t from = std::max(begin, r * chunk), to = std::min(end, (r + 1) * chunk);
        if (from >= to) continue;
        optim::OptimizerPiece piece{r, from - begin, to - from, {}};
        if (r == rank) {
          piece.stepped = flat.narrow(0, from, to - from);
          piece.stepped.mutable_grad() = reduced.narrow(0, from - r * chunk, to - from);
        }
        layout_[i].push_back(std::move(piece));
      }
    }
    flat_params_.push_back(std::move(flat));
  }
  for (size_t i = 0; i < params.size(); ++i)
    if (layout_[i].empty() && params[i].requires_grad())
      throw std::logic_error("OptimizerShards: a trainable parameter is in no gradient bucket");
}

double OptimizerShards::clip_grad_norms(const std::vector<int>& module_of, int modules,
                                        double max_norm) {
  std::vector<std::vector<torch::Tensor>> grads(static_cast<size_t>(modules));
  for (size_t i = 0; i < layout_.size(); ++i)
    for (const optim::OptimizerPiece& piece : layout_[i])
      if (piece.stepped.defined())
        grads[static_cast<size_t>(module_of.at(i))].push_back(piece.stepped.grad());
  // On the parameters' device, where the communicator reduces (a rank may hold no piece of a
  // module, so the squares' own device is not always that).
  torch::Tensor squared = optim::squared_norms(grads).to(flat_params_.front().device());
  comm_.all_reduce_sum(squared, "all_reduce(ZeRO-1 gradient norms)");
  return optim::clip_to_norms(squared, grads, max_norm);
}

void OptimizerShards::all_gather_parameters() {
  std::vector<std::unique_ptr<PendingCollective>> pending;
  for (size_t b = 0; b < flat_params_.size(); ++b)
    pending.push_back(comm_.start_all_gather_in_place(
        flat_params_[b], "all_gather(ZeRO-1 parameters of bucket " + std::to_string(b + 1) + ")"));
  for (auto& p : pending) p->wait();
}

}  // namespace pathodino::distributed
