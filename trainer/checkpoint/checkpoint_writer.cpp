#include "trainer/checkpoint/checkpoint_writer.h"

#include <torch/torch.h>
#include <xxhash.h>

#include <cstring>

#include "models/interchange/safetensors.h"
#include "models/interchange/tensor_bytes.h"
#include "trainer/checkpoint/shard_plan.h"
#include "trainer/distributed/rank_consistency.h"
#include "trainer/system/durable_file.h"
#include "trainer/system/elapsed.h"

#ifndef PATHODINO_VERSION
#define PATHODINO_VERSION "unknown"
#endif

namespace pathodino::checkpoint {
namespace {

using Clock = std::chrono::steady_clock;

using system::seconds_since;

int64_t as_int64(uint64_t bits) {
  int64_t out;
  std::memcpy(&out, &bits, sizeof out);
  return out;
}

uint64_t as_uint64(int64_t bits) {
  uint64_t out;
  std::memcpy(&out, &bits, sizeof out);
  return out;
}

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

std::string at_step(int64_t step) { return "checkpoint at step " + std::to_string(step); }

// The manifest's tensor table (shard, dtype, shape; checksums come with the outcomes) and the
// tensors' names in state order. Only rank 0 writes a manifest.
void fill_tensor_table(const std::vector<NamedTensor>& state, const std::vector<int>& plan,
                       Manifest& manifest, std::vector<std::string>& names) {
  manifest.tensors.clear();
  names.clear();
  for (size_t i = 0; i < state.size(); ++i) {
    names.push_back(state[i].name);
    TensorEntry entry;
    entry.shard = plan[i];
    entry.dtype =
        models::dtype_name(models::to_st_dtype(state[i].tensor.scalar_type(), state[i].name));
    entry.shape.assign(state[i].tensor.sizes().begin(), state[i].tensor.sizes().end());
    manifest.tensors[state[i].name] = std::move(entry);
  }
}

}  // namespace

std::string CheckpointWriter::cannot_prepare(int64_t step, const std::string& why) const {
  return at_step(step) + ": rank 0 could not prepare " + directory_.partial_path(step).string() +
         why;
}

CheckpointWriter::CheckpointWriter(CheckpointDirectory directory, CheckpointOptions options,
                                   distributed::Communicator& comm)
    : directory_(std::move(directory)), options_(options), comm_(comm) {}

CheckpointWriter::~CheckpointWriter() { worker_.wait(); }

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

bool CheckpointWriter::stage(const std::vector<NamedTensor>& state, Manifest manifest, bool copy,
                             std::string& error) {
  const auto start = Clock::now();
  const int rank = comm_.rank(), world = comm_.world_size();
  Pending p;
  p.started = start;
  worker_.wait();                 // retention of the last save: done long ago, normally
  comm_.set_step(manifest.step);  // a stall report names the save's step
  p.plan = plan_of(state, world);
  // Rank 0's tensor table: ~1 ms for ~900 tensors, so an async save builds it on the background
  // thread from handles to the tensors (only their shapes and dtypes are read there), where it
  // also prepares the directory (save_in_background). A synchronous save does both now; every
  // rank learns whether rank 0 could.
  if (copy) {
    if (rank == 0) p.layout = state;
  } else {
    try {
      distributed::on_rank0_for_all(comm_, [&] {
        fill_tensor_table(state, p.plan, manifest, p.all_names);
        directory_.begin(manifest.step);
      });
    } catch (const std::exception& e) {
      error = cannot_prepare(manifest.step, std::string(": ") + e.what());
      return false;
    }
  }
  manifest.world_size = world;
  manifest.pathodino_version = PATHODINO_VERSION;
  manifest.libtorch_version = TORCH_VERSION;
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
  return true;
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

void CheckpointWriter::write_staged() noexcept {
  Pending& p = *pending_;
  if (!p.error.empty()) return;  // staging or preparing failed: nothing worth writing
  try {
    std::vector<models::StTensorView> views;
    p.checksums.clear();
    for (size_t k = 0; k < p.mine.size(); ++k) {
      const torch::Tensor& t = write_from_[k];
      models::StTensorView view;
      view.name = p.names[k];
      view.dtype = models::to_st_dtype(t.scalar_type(), p.names[k]);
      view.shape.assign(t.sizes().begin(), t.sizes().end());
      view.data = static_cast<const std::byte*>(t.data_ptr());
      view.size = t.nbytes();
      p.checksums.push_back(XXH3_64bits(view.data, view.size));
      views.push_back(std::move(view));
    }
    const int rank = comm_.rank(), world = comm_.world_size();
    const std::filesystem::path partial = directory_.partial_path(p.manifest.step);
    const std::map<std::string, std::string> metadata{{"step", std::to_string(p.manifest.step)},
                                                      {"rank", std::to_string(rank)}};
    // The file is fsynced; its directory entry is made durable by rank 0's one fsync of the
    // directory before the commit.
    models::write_safetensors(partial / shard_file_name(rank, world), views, metadata);
  } catch (const std::exception& e) {
    p.error = e.what();
  }
}

torch::Tensor CheckpointWriter::shard_outcome_message() const {
  const Pending& p = *pending_;
  const int rank = comm_.rank(), world = comm_.world_size();
  const int64_t n = static_cast<int64_t>(p.plan.size());
  torch::Tensor message = torch::zeros({2 + world + n}, torch::kInt64);
  auto m = message.accessor<int64_t, 1>();
  m[0] = 1;
  if (p.error.empty())
    for (size_t k = 0; k < p.mine.size(); ++k) {
      m[2 + world + static_cast<int64_t>(p.mine[k])] = as_int64(p.checksums[k]);
      m[1 + world] += static_cast<int64_t>(write_from_[k].nbytes());
    }
  else
    m[1 + rank] = 1;
  return message;
}

bool CheckpointWriter::take_shard_outcomes(const torch::Tensor& sum, SaveOutcome& outcome) {
  Pending& p = *pending_;
  const int rank = comm_.rank(), world = comm_.world_size();
  const auto m = sum.accessor<int64_t, 1>();
  outcome.step = p.manifest.step;
  outcome.bytes = m[1 + world];
  std::string failed_ranks;
  for (int r = 0; r < world; ++r)
    if (m[1 + r] != 0) failed_ranks += (failed_ranks.empty() ? "" : ", ") + std::to_string(r);
  if (!failed_ranks.empty()) {
    outcome.error =
        at_step(outcome.step) + ": rank(s) " + failed_ranks + " could not write their shard" +
        (p.error.empty() ? "" : " (rank " + std::to_string(rank) + ": " + p.error + ")");
    return false;
  }
  return true;
}

void CheckpointWriter::commit_on_rank0(const torch::Tensor& outcomes) {
  Pending& p = *pending_;
  const std::filesystem::path partial = directory_.partial_path(p.manifest.step);
  try {
    const auto m = outcomes.accessor<int64_t, 1>();
    const int64_t first_checksum = 2 + comm_.world_size();
    for (size_t i = 0; i < p.all_names.size(); ++i)
      p.manifest.tensors.at(p.all_names[i]).xxh3 =
          as_uint64(m[first_checksum + static_cast<int64_t>(i)]);
    system::write_file_durably(partial / "config.yaml", p.manifest.config_yaml,
                               /*sync_parent=*/false);
    write_manifest(partial, p.manifest, /*sync_directory=*/false);
    system::sync_directory(partial);  // every shard, config.yaml and the manifest: one fsync
    directory_.commit(p.manifest.step);
  } catch (const std::exception& e) {
    commit_error_ = e.what();
    if (commit_error_.empty()) commit_error_ = "unknown error";
  }
}

void CheckpointWriter::apply_retention() noexcept {
  try {
    directory_.apply_retention(options_);
  } catch (const std::exception&) {
    // An undeletable old checkpoint costs disk, not correctness; the next save retries.
  }
}

SaveOutcome CheckpointWriter::save(const std::vector<NamedTensor>& state, Manifest manifest) {
  if (in_flight()) throw std::logic_error("save: finish() the save in flight first");
  const int64_t step = manifest.step;
  SaveOutcome outcome;
  outcome.step = step;
  std::string error;
  if (!stage(state, std::move(manifest), /*copy=*/false, error)) {
    outcome.error = error;
    return outcome;
  }
  write_staged();
  torch::Tensor outcomes = shard_outcome_message();
  comm_.all_reduce_sum(outcomes, "all_reduce(checkpoint shard outcomes)");
  if (take_shard_outcomes(outcomes, outcome)) {
    try {
      distributed::on_rank0_for_all(comm_, [&] {
        commit_on_rank0(outcomes);
        if (!commit_error_.empty()) throw std::runtime_error(commit_error_);
      });
      outcome.ok = true;
      outcome.path = directory_.step_path(step);
      // Deleting old checkpoints (hundreds of MB) is off the training path: on the worker,
      // waited for before the next save touches the directory.
      if (comm_.rank() == 0) worker_.post([this] { apply_retention(); });
    } catch (const std::exception& e) {
      outcome.error = at_step(step) + ": rank 0 could not commit: " + e.what();
    }
  }
  outcome.seconds = seconds_since(pending_->started);
  outcome.blocking_seconds = outcome.seconds;
  pending_.reset();
  write_from_.clear();  // no alias of the live state kept
  return outcome;
}

void CheckpointWriter::start_async(const std::vector<NamedTensor>& state, Manifest manifest) {
  if (in_flight()) throw std::logic_error("start_async: a save is already in flight");
  std::string error;
  stage(state, std::move(manifest), /*copy=*/true, error);  // cannot fail: nothing on disk yet
  const auto start = Clock::now();
  worker_.post([this] { save_in_background(); });
  pending_->blocking_seconds += seconds_since(start);
}

void CheckpointWriter::save_in_background() noexcept {
  Pending& p = *pending_;
  const int rank = comm_.rank();
  const int64_t step = p.manifest.step;
  const auto sum = [&](torch::Tensor& values, const char* what) {
    comm_.start_unhurried_all_reduce_sum(values, what)->wait();
  };
  SaveOutcome outcome;
  outcome.step = step;
  // Every rank enters the three sums, in this order, whatever failed locally: Note [Checkpoint
  // sums] (checkpoint_writer.h).
  copy_sources();
  await_staged();  // a training thread may still be copying its last tensor
  // Rank 0 writes the tensor table and creates step-N.partial/; the others learn whether it could
  // before writing into it.
  torch::Tensor prepare_failed = torch::zeros({1}, torch::kInt64);
  if (rank == 0) {
    try {
      if (!p.layout.empty()) fill_tensor_table(p.layout, p.plan, p.manifest, p.all_names);
      directory_.begin(step);
    } catch (const std::exception& e) {
      if (p.error.empty()) p.error = cannot_prepare(step, std::string(": ") + e.what());
      prepare_failed[0] = 1;
    }
    p.layout.clear();  // no handle to the live state kept
  }
  sum(prepare_failed, "all_reduce(checkpoint directory prepared)");
  if (p.error.empty() && prepare_failed[0].item<int64_t>() != 0)
    p.error = cannot_prepare(step, " (see rank 0's log)");
  write_staged();  // writes nothing once p.error is set; reports its own failure
  torch::Tensor outcomes = shard_outcome_message();
  sum(outcomes, "all_reduce(checkpoint shard outcomes)");
  if (take_shard_outcomes(outcomes, outcome)) {  // the same answer on every rank
    torch::Tensor commit_failed = torch::zeros({1}, torch::kInt64);
    if (rank == 0) {
      commit_on_rank0(outcomes);
      if (!commit_error_.empty()) commit_failed[0] = 1;
    }
    sum(commit_failed, "all_reduce(checkpoint committed)");
    if (commit_failed[0].item<int64_t>() != 0) {
      outcome.error = at_step(step) + ": rank 0 could not commit" +
                      (rank == 0 ? ": " + commit_error_ : std::string(" (see rank 0's log)"));
    } else {
      outcome.ok = true;
      outcome.path = directory_.step_path(step);
    }
  }
  outcome.seconds = seconds_since(p.started);
  if (outcome.ok && rank == 0) apply_retention();  // before the next save prepares its directory
  p.outcome = std::move(outcome);
  done_.store(true, std::memory_order_release);
}

SaveOutcome CheckpointWriter::take_outcome() {
  SaveOutcome outcome = std::move(pending_->outcome);
  outcome.blocking_seconds = pending_->blocking_seconds;
  pending_.reset();
  write_from_.clear();
  return outcome;
}

std::optional<SaveOutcome> CheckpointWriter::poll() {
  if (!in_flight() || !done_.load(std::memory_order_acquire)) return std::nullopt;
  return take_outcome();
}

SaveOutcome CheckpointWriter::finish() {
  if (!in_flight()) throw std::logic_error("finish: no save in flight");
  const auto start = Clock::now();  // training waits here
  worker_.wait();
  pending_->blocking_seconds += seconds_since(start);
  return take_outcome();
}

}  // namespace pathodino::checkpoint
