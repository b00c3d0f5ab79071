// CheckpointWriter's staging (checkpoint_writer.h): at the step boundary, what each rank writes
// and from which buffers; for an async save, the copy of the live state into host buffers that
// the background worker and a waiting training thread share.
#include <torch/torch.h>

#include <cstring>

#include "pathodino_commit.h"
#include "trainer/checkpoint/checkpoint_writer.h"
#include "trainer/checkpoint/shard_plan.h"
#include "trainer/system/elapsed.h"

#ifndef PATHODINO_VERSION
#define PATHODINO_VERSION "unknown"
#endif

namespace pathodino::checkpoint {
namespace {

using Clock = std::chrono::steady_clock;

using system::seconds_since;

// Who writes each tensor: its owner when only one rank holds it, else balanced by bytes.
std::vector<int> plan_of(const std::vector<NamedTensor>& state, int world) {
  std::vector<int64_t> bytes;
  std::vector<int> fixed;
  for (const NamedTensor& t : state) {
    bytes.push_back(static_cast<int64_t>(t.tensor.nbytes()));
    fixed.push_back(t.owner);
  }
  return assign_shards(bytes, world, fixed);
}

}  // namespace

void CheckpointWriter::allocate_staging(const std::vector<NamedTensor>& state,
                                        const std::vector<size_t>& mine) {
  bool fits = staging_.size() == mine.size();
  for (size_t k = 0; fits && k < mine.size(); ++k)
    fits = staging_[k].sizes() == state[mine[k]].tensor.sizes() &&
           staging_[k].scalar_type() == state[mine[k]].tensor.scalar_type();
  if (fits) return;
  staging_.clear();
  for (size_t i : mine) {
    const torch::Tensor& t = state[i].tensor;
    staging_.push_back(torch::zeros(t.sizes(), t.options().device(torch::kCPU)));  // faulted in now
  }
}

void CheckpointWriter::prepare_async(const std::vector<NamedTensor>& state) {
  const std::vector<int> plan = plan_of(state, comm_.world_size());
  std::vector<size_t> mine;
  for (size_t i = 0; i < state.size(); ++i)
    if (plan[i] == comm_.rank()) mine.push_back(i);
  allocate_staging(state, mine);
}

void CheckpointWriter::stage(const std::vector<NamedTensor>& state, Manifest manifest, bool copy) {
  const auto start = Clock::now();
  const int rank = comm_.rank(), world = comm_.world_size();
  Pending p;
  p.started = start;
  worker_.wait();                 // retention of the last save: done long ago, normally
  comm_.set_step(manifest.step);  // a stall report names the save's step
  p.plan = plan_of(state, world);
  // Rank 0's tensor table (~1 ms for ~900 tensors) is built with the directory, after the step
  // boundary (write_and_commit), from handles to the tensors: only their shapes and dtypes are
  // read there.
  if (rank == 0) p.layout = state;
  manifest.world_size = world;
  manifest.pathodino_version = PATHODINO_VERSION;
  manifest.libtorch_version = TORCH_VERSION;
  manifest.pathodino_commit = PATHODINO_COMMIT;
  manifest.shards.clear();
  for (int r = 0; r < world; ++r) manifest.shards.push_back(shard_file_name(r, world));
  for (size_t i = 0; i < state.size(); ++i)
    if (p.plan[i] == rank) {
      p.mine.push_back(i);
      p.names.push_back(state[i].name);
    }
  // An async save copies into host buffers kept from save to save (no page faults after the
  // first), later, on the background thread (copy_sources); a synchronous one writes the live
  // CPU tensors (a device or strided tensor through a host buffer, copied now).
  torch::NoGradGuard no_grad;
  if (copy) allocate_staging(state, p.mine);
  write_from_.assign(p.mine.size(), torch::Tensor());
  for (size_t k = 0; k < p.mine.size(); ++k) {
    const torch::Tensor& source = state[p.mine[k]].tensor;
    if (copy) {
      p.sources.push_back(source);
      p.versions.push_back(source._version());
      write_from_[k] = staging_[k];
    } else if (source.is_cpu() && source.is_contiguous()) {
      write_from_[k] = source;
    } else {
      allocate_staging(state, p.mine);
      staging_[k].copy_(source);
      write_from_[k] = staging_[k];
    }
  }
  p.manifest = std::move(manifest);
  p.blocking_seconds = seconds_since(start);

  pending_ = std::move(p);
  done_ = false;
  commit_error_.clear();
  {
    std::lock_guard lock(staged_mutex_);
    staged_ = pending_->sources.empty();
  }
  copy_count_ = pending_->sources.size();
  next_copy_ = 0;
  copies_done_ = 0;
  copy_failed_ = false;
}

void CheckpointWriter::copy_source(size_t k) {
  Pending& p = *pending_;
  const torch::Tensor& source = p.sources[k];
  torch::Tensor& target = staging_[k];
  // One plain memcpy per CPU tensor: copy_ would fan out over the intra-op threads, which the
  // training thread is using right now. A CUDA tensor's copy is ordered after the step's kernels
  // by the default stream, and the host waits for it.
  if (source.is_cpu() && source.is_contiguous())
    std::memcpy(target.data_ptr(), source.data_ptr(), source.nbytes());
  else
    target.copy_(source);
  // A canary for callers that break the contract, not a guarantee: an in-place update bumps the
  // version when it ends, so one still running now goes unseen.
  if (source._version() != p.versions[k])
    throw std::runtime_error(p.names[k] +
                             " changed while it was being staged: the state was updated before "
                             "CheckpointWriter::wait_until_staged()");
}

void CheckpointWriter::copy_sources() noexcept {
  Pending& p = *pending_;
  torch::NoGradGuard no_grad;
  // Tensors are claimed one at a time, by the background thread and by a training thread that
  // reached wait_until_staged early; whoever finishes the last one marks the state staged.
  for (size_t k; (k = next_copy_.fetch_add(1)) < copy_count_;) {
    try {
      if (!copy_failed_.load()) copy_source(k);
    } catch (const std::exception& e) {
      std::lock_guard lock(staged_mutex_);
      if (p.error.empty()) p.error = std::string("staging: ") + e.what();
      copy_failed_ = true;  // the rest are skipped: nothing will be written
    }
    if (copies_done_.fetch_add(1) + 1 == copy_count_) {
      p.sources.clear();  // no alias of the live state kept
      {
        std::lock_guard lock(staged_mutex_);
        staged_ = true;
      }
      staged_cv_.notify_all();
    }
  }
}

void CheckpointWriter::await_staged() {
  std::unique_lock lock(staged_mutex_);
  staged_cv_.wait(lock, [&] { return staged_; });
}

void CheckpointWriter::wait_until_staged() {
  {
    std::lock_guard lock(staged_mutex_);
    if (staged_) return;
  }
  // Training would only wait here: copy the tensors that the background thread has not reached.
  const auto start = Clock::now();
  copy_sources();
  await_staged();
  if (pending_) pending_->blocking_seconds += seconds_since(start);
}

}  // namespace pathodino::checkpoint
