#include "trainer/distributed/gradient_reducer.h"

#include <torch/torch.h>

#include <cstdio>
#include <map>
#include <stdexcept>

#include "trainer/distributed/post_accumulate_hook.h"

namespace pathodino::distributed {

struct GradientReducer::Bucket {
  torch::Tensor flat;           // the gradients of `members`, back to back, then padding
  torch::Tensor chunk;          // reduce_scatter: this rank's reduced chunk of `flat`
  std::vector<size_t> members;  // indices into parameters_
  std::vector<int64_t> offsets;
  int64_t bytes = 0;
  int64_t waiting = 0;  // gradients still to come in this backward
  bool started = false;
  std::unique_ptr<PendingCollective> pending;
  std::string name;
};

GradientReducer::GradientReducer(std::vector<torch::Tensor> parameters, Communicator& comm,
                                 ReducerOptions options)
    : comm_(comm),
      parameters_(std::move(parameters)),
      average_(options.average),
      reduce_scatter_(options.reduce_scatter) {
  // Reverse registration order, split by (device, dtype); a bucket closes when it is full.
  std::map<std::pair<std::string, c10::ScalarType>, size_t> open;  // → index in buckets_
  bool first = true;
  for (size_t k = parameters_.size(); k-- > 0;) {
    const torch::Tensor& p = parameters_[k];
    if (!p.requires_grad()) continue;
    const auto key = std::make_pair(p.device().str(), p.scalar_type());
    const int64_t bytes = p.numel() * static_cast<int64_t>(p.element_size());
    auto it = open.find(key);
    if (it == open.end()) {
      it = open.emplace(key, buckets_.size()).first;
      buckets_.emplace_back();
    }
    Bucket& bucket = buckets_[it->second];
    bucket.members.push_back(k);
    bucket.bytes += bytes;
    const int64_t cap = first ? options.first_bucket_bytes : options.bucket_bytes;
    if (bucket.bytes >= cap) {
      open.erase(it);
      first = false;
    }
  }
  for (size_t b = 0; b < buckets_.size(); ++b) {
    Bucket& bucket = buckets_[b];
    int64_t numel = 0;
    for (size_t k : bucket.members) numel += parameters_[k].numel();
    const int64_t world = comm_.world_size();
    if (reduce_scatter_) numel = (numel + world - 1) / world * world;
    const torch::Tensor& like = parameters_[bucket.members.front()];
    bucket.flat = torch::zeros({numel}, like.options().requires_grad(false));
    if (reduce_scatter_) bucket.chunk = torch::zeros({numel / world}, bucket.flat.options());
    int64_t offset = 0;
    for (size_t k : bucket.members) {
      torch::Tensor& p = parameters_[k];
      p.mutable_grad() = bucket.flat.narrow(0, offset, p.numel()).view(p.sizes());
      bucket.offsets.push_back(offset);
      offset += p.numel();
      set_post_accumulate_hook(p, [this, b] { on_gradient_ready(b); });
    }
    char name[96];
    std::snprintf(name, sizeof(name), "%s(gradient bucket %zu of %zu, %.2f MiB)",
                  reduce_scatter_ ? "reduce_scatter" : "all_reduce", b + 1, buckets_.size(),
                  static_cast<double>(bucket.bytes) / (1 << 20));
    bucket.name = name;
  }
}

GradientReducer::~GradientReducer() {
  for (const torch::Tensor& p : parameters_)
    if (p.requires_grad()) clear_post_accumulate_hook(p);
}

int64_t GradientReducer::bucket_count() const { return static_cast<int64_t>(buckets_.size()); }

std::vector<int64_t> GradientReducer::bucket_sizes_bytes() const {
  std::vector<int64_t> sizes;
  for (const Bucket& b : buckets_) sizes.push_back(b.bytes);
  return sizes;
}

std::vector<BucketLayout> GradientReducer::layout() const {
  std::vector<BucketLayout> out;
  for (const Bucket& b : buckets_) out.push_back({b.members, b.offsets, b.flat.numel()});
  return out;
}

const torch::Tensor& GradientReducer::reduced_chunk(size_t bucket) const {
  if (!reduce_scatter_)
    throw std::logic_error("GradientReducer: reduced_chunk needs reduce_scatter");
  return buckets_.at(bucket).chunk;
}

void GradientReducer::zero_grad() {
  for (Bucket& b : buckets_) b.flat.zero_();
  // The optimizer, clipping and AdamW read .grad; it must still alias the bucket.
  for (const Bucket& b : buckets_)
    for (size_t k : b.members)
      if (!parameters_[k].grad().defined() || !parameters_[k].grad().is_alias_of(b.flat))
        throw std::logic_error(
            "GradientReducer: a gradient no longer aliases its bucket (set to None by a "
            "zero_grad that is not the reducer's?)");
}

void GradientReducer::begin_backward(bool reduce) {
  std::lock_guard lock(mutex_);
  reducing_ = reduce;
  if (!reduce) return;
  next_to_start_ = 0;
  for (Bucket& b : buckets_) {
    b.waiting = static_cast<int64_t>(b.members.size());
    b.started = false;
    b.pending.reset();
  }
  timeline_ = {};
  timeline_.buckets.resize(buckets_.size());
  timeline_.backward_begin = std::chrono::steady_clock::now();
}

void GradientReducer::on_gradient_ready(size_t bucket) {
  std::lock_guard lock(mutex_);
  if (!reducing_) return;
  --buckets_[bucket].waiting;
  start_ready_buckets();
}

void GradientReducer::start_ready_buckets() {
  const double inverse_world = 1.0 / comm_.world_size();
  while (next_to_start_ < buckets_.size() && buckets_[next_to_start_].waiting <= 0) {
    Bucket& b = buckets_[next_to_start_];
    if (average_) b.flat.mul_(inverse_world);
    b.pending = reduce_scatter_ ? comm_.start_reduce_scatter_sum(b.flat, b.chunk, b.name)
                                : comm_.start_all_reduce_sum(b.flat, b.name);
    b.started = true;
    timeline_.buckets[next_to_start_].started_in_backward = reducing_;
    ++next_to_start_;
  }
}

void GradientReducer::finish_backward() {
  std::lock_guard lock(mutex_);
  if (!reducing_)
    throw std::logic_error("GradientReducer: finish_backward without begin_backward(true)");
  timeline_.backward_end = std::chrono::steady_clock::now();
  reducing_ = false;  // from here on, buckets are started by finish_backward, not by hooks
  for (Bucket& b : buckets_) b.waiting = 0;
  start_ready_buckets();
  // Buckets finish in order (one comm thread, or one stream), so waiting for the last one first
  // wakes this thread once instead of once per bucket: each wake-up could take a core from a
  // transfer still running.
  if (!buckets_.empty()) buckets_.back().pending->wait();
  for (size_t i = 0; i < buckets_.size(); ++i) {
    buckets_[i].pending->wait();
    timeline_.buckets[i].started = buckets_[i].pending->started();
    timeline_.buckets[i].finished = buckets_[i].pending->finished();
  }
  timeline_.all_done = std::chrono::steady_clock::now();
}

}  // namespace pathodino::distributed
