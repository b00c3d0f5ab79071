#include "trainer/checkpoint/checkpoint_writer.h"

#include <torch/torch.h>
#include <xxhash.h>

#include <cstring>

#include "models/interchange/safetensors.h"
#include "models/interchange/tensor_bytes.h"
#include "trainer/checkpoint/durable_file.h"
#include "trainer/checkpoint/shard_plan.h"
#include "trainer/dist/rank_consistency.h"

#ifndef PATHODINO_VERSION
#define PATHODINO_VERSION "unknown"
#endif

namespace pathodino::checkpoint {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

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

std::string at_step(int64_t step) { return "checkpoint at step " + std::to_string(step); }

}  // namespace

CheckpointWriter::CheckpointWriter(CheckpointDirectory directory, CheckpointOptions options,
                                   dist::Communicator& comm)
    : directory_(std::move(directory)), options_(options), comm_(comm) {}

CheckpointWriter::~CheckpointWriter() {
  if (writer_.joinable()) writer_.join();
}

bool CheckpointWriter::stage(const std::vector<NamedTensor>& state, Manifest manifest,
                             std::string& error) {
  const auto start = Clock::now();
  const int rank = comm_.rank(), world = comm_.world_size();
  Pending p;
  p.started = start;
  try {
    dist::on_rank0_for_all(comm_, [&] { directory_.begin(manifest.step); });
  } catch (const std::exception& e) {
    error = at_step(manifest.step) + ": rank 0 could not prepare " +
            directory_.partial_path(manifest.step).string() + ": " + e.what();
    return false;
  }
  std::vector<int64_t> bytes;
  for (const NamedTensor& t : state) bytes.push_back(static_cast<int64_t>(t.tensor.nbytes()));
  p.plan = assign_shards(bytes, world);
  manifest.world_size = world;
  manifest.pathodino_version = PATHODINO_VERSION;
  manifest.libtorch_version = TORCH_VERSION;
  manifest.shards.clear();
  for (int r = 0; r < world; ++r) manifest.shards.push_back(shard_file_name(r, world));
  manifest.tensors.clear();
  for (size_t i = 0; i < state.size(); ++i) {
    p.all_names.push_back(state[i].name);
    TensorEntry entry;
    entry.shard = p.plan[i];
    entry.dtype =
        models::dtype_name(models::to_st_dtype(state[i].tensor.scalar_type(), state[i].name));
    entry.shape.assign(state[i].tensor.sizes().begin(), state[i].tensor.sizes().end());
    manifest.tensors[state[i].name] = std::move(entry);
    if (p.plan[i] == rank) {
      p.mine.push_back(i);
      p.names.push_back(state[i].name);
    }
  }
  // Host copies into buffers kept from save to save (no page faults after the first save); copy_
  // runs on the intra-op threads.
  if (staging_.size() != p.mine.size()) staging_.assign(p.mine.size(), torch::Tensor());
  torch::NoGradGuard no_grad;
  for (size_t k = 0; k < p.mine.size(); ++k) {
    const torch::Tensor& source = state[p.mine[k]].tensor;
    torch::Tensor& buffer = staging_[k];
    if (!buffer.defined() || buffer.sizes() != source.sizes() ||
        buffer.scalar_type() != source.scalar_type())
      buffer = torch::empty(source.sizes(), source.options().device(torch::kCPU));
    buffer.copy_(source.detach());
  }
  p.manifest = std::move(manifest);
  p.blocking_seconds = seconds_since(start);
  pending_ = std::move(p);
  written_ = false;
  return true;
}

void CheckpointWriter::write_staged() noexcept {
  Pending& p = *pending_;
  try {
    std::vector<models::StTensorView> views;
    p.checksums.clear();
    for (size_t k = 0; k < p.mine.size(); ++k) {
      const torch::Tensor& t = staging_[k];
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
    models::write_safetensors(partial / shard_file_name(rank, world), views, metadata);
    sync_directory(partial);
  } catch (const std::exception& e) {
    p.error = e.what();
  }
  written_ = true;
}

SaveOutcome CheckpointWriter::commit() {
  const auto start = Clock::now();
  Pending p = std::move(*pending_);
  pending_.reset();
  const int rank = comm_.rank(), world = comm_.world_size();
  const int64_t n = static_cast<int64_t>(p.plan.size());
  SaveOutcome outcome;
  outcome.step = p.manifest.step;
  // Checksums of every tensor (each from its writer; zeros elsewhere), failures per rank, bytes.
  torch::Tensor checksums = torch::zeros({n}, torch::kInt64);
  torch::Tensor failed = torch::zeros({world + 1}, torch::kInt64);
  if (p.error.empty())
    for (size_t k = 0; k < p.mine.size(); ++k) {
      checksums[static_cast<int64_t>(p.mine[k])] = as_int64(p.checksums[k]);
      failed[world] += static_cast<int64_t>(staging_[k].nbytes());
    }
  else
    failed[rank] = 1;
  comm_.all_reduce_sum(checksums, "all_reduce(checkpoint checksums)");
  comm_.all_reduce_sum(failed, "all_reduce(checkpoint shard outcomes)");
  outcome.bytes = failed[world].item<int64_t>();
  std::string failed_ranks;
  for (int r = 0; r < world; ++r)
    if (failed[r].item<int64_t>() != 0)
      failed_ranks += (failed_ranks.empty() ? "" : ", ") + std::to_string(r);
  if (!failed_ranks.empty()) {
    outcome.error =
        at_step(outcome.step) + ": rank(s) " + failed_ranks + " could not write their shard" +
        (p.error.empty() ? "" : " (rank " + std::to_string(rank) + ": " + p.error + ")");
  } else {
    for (int64_t i = 0; i < n; ++i)
      p.manifest.tensors.at(p.all_names[i]).xxh3 = as_uint64(checksums[i].item<int64_t>());
    const std::filesystem::path partial = directory_.partial_path(outcome.step);
    try {
      dist::on_rank0_for_all(comm_, [&] {
        write_file_durably(partial / "config.yaml", p.manifest.config_yaml);
        write_manifest(partial, p.manifest);
        directory_.commit(outcome.step);
        directory_.apply_retention(options_);
      });
      outcome.ok = true;
      outcome.path = directory_.step_path(outcome.step);
    } catch (const std::exception& e) {
      outcome.error = at_step(outcome.step) + ": rank 0 could not commit: " + e.what();
    }
  }
  outcome.seconds = seconds_since(p.started);
  outcome.blocking_seconds = p.blocking_seconds + seconds_since(start);
  return outcome;
}

SaveOutcome CheckpointWriter::save(const std::vector<NamedTensor>& state, Manifest manifest) {
  if (in_flight()) throw std::logic_error("save: finish() the save in flight first");
  const int64_t step = manifest.step;
  std::string error;
  if (!stage(state, std::move(manifest), error)) {
    SaveOutcome outcome;
    outcome.step = step;
    outcome.error = error;
    return outcome;
  }
  const auto start = Clock::now();
  write_staged();
  pending_->blocking_seconds += seconds_since(start);
  return commit();
}

void CheckpointWriter::start_async(const std::vector<NamedTensor>& state, Manifest manifest) {
  if (in_flight()) throw std::logic_error("start_async: a save is already in flight");
  std::string error;
  const int64_t step = manifest.step;
  if (!stage(state, std::move(manifest), error)) {
    failed_start_ = SaveOutcome{};
    failed_start_->step = step;
    failed_start_->error = error;
    return;
  }
  writer_ = std::thread([this] { write_staged(); });
}

std::optional<SaveOutcome> CheckpointWriter::poll() {
  if (failed_start_) return std::exchange(failed_start_, std::nullopt);
  if (!in_flight()) return std::nullopt;
  // Every rank must agree that every shard is written before anyone commits.
  const auto start = Clock::now();
  torch::Tensor done = torch::tensor({written_.load() ? int64_t{1} : int64_t{0}}, torch::kInt64);
  comm_.all_reduce_sum(done, "all_reduce(checkpoint write progress)");
  pending_->blocking_seconds += seconds_since(start);
  if (done.item<int64_t>() < comm_.world_size()) return std::nullopt;
  writer_.join();
  return commit();
}

SaveOutcome CheckpointWriter::finish() {
  if (failed_start_) return *std::exchange(failed_start_, std::nullopt);
  if (!in_flight()) throw std::logic_error("finish: no save in flight");
  const auto start = Clock::now();
  if (writer_.joinable()) writer_.join();
  pending_->blocking_seconds += seconds_since(start);
  return commit();
}

}  // namespace pathodino::checkpoint
