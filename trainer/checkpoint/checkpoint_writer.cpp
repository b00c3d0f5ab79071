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
#include "trainer/system/key_file.h"
#include "trainer/system/sha256.h"

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

std::string at_step(int64_t step) { return "checkpoint at step " + std::to_string(step); }

// A shard's SHA-256 travels in the outcome sum as four int64 words of raw bytes.
constexpr int64_t kDigestWords = 4;

// A shard's bytes through AES-256-GCM on their way to disk: Note [Encrypted checkpoints].
class ShardCipher final : public models::ByteFilter {
 public:
  ShardCipher(const system::AesKey& key, const std::string& authenticated_data)
      : gcm_(key, authenticated_data) {}
  std::string prefix() override { return gcm_.header(); }
  void update(const std::byte* in, std::size_t size, std::byte* out) override {
    gcm_.update(in, size, out);
  }
  std::string suffix() override { return gcm_.tag(); }

 private:
  system::GcmEncryptor gcm_;
};

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
    : directory_(std::move(directory)), options_(options), comm_(comm) {
  if (!options_.signing_key.empty() && comm_.rank() == 0)
    signer_ = system::Ed25519Key::load_private(options_.signing_key);
  if (!options_.encryption_key.empty()) shard_key_ = system::AesKey::load(options_.encryption_key);
}

CheckpointWriter::~CheckpointWriter() { worker_.wait(); }

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
    const std::filesystem::path shard = partial / shard_file_name(rank, world);
    std::optional<ShardCipher> cipher;
    if (shard_key_)
      cipher.emplace(*shard_key_,
                     shard_authenticated_data(p.manifest.step, shard.filename().string()));
    models::write_safetensors(shard, views, metadata, cipher ? &*cipher : nullptr);
    if (!options_.signing_key.empty())
      p.shard_sha256 = system::from_hex(system::file_sha256(shard));
  } catch (const std::exception& e) {
    p.error = e.what();
  }
}

torch::Tensor CheckpointWriter::shard_outcome_message() const {
  const Pending& p = *pending_;
  const int rank = comm_.rank(), world = comm_.world_size();
  const int64_t n = static_cast<int64_t>(p.plan.size());
  const int64_t digests = options_.signing_key.empty() ? 0 : kDigestWords * world;
  torch::Tensor message = torch::zeros({2 + world + n + digests}, torch::kInt64);
  auto m = message.accessor<int64_t, 1>();
  m[0] = 1;
  if (p.error.empty()) {
    for (size_t k = 0; k < p.mine.size(); ++k) {
      m[2 + world + static_cast<int64_t>(p.mine[k])] = as_int64(p.checksums[k]);
      m[1 + world] += static_cast<int64_t>(write_from_[k].nbytes());
    }
    // This rank's shard SHA-256 in its own slots: zero elsewhere, so the sum gathers them all.
    if (digests > 0)
      std::memcpy(&m[2 + world + n + kDigestWords * rank], p.shard_sha256.data(),
                  p.shard_sha256.size());
  } else {
    m[1 + rank] = 1;
  }
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
    const int64_t first_digest = first_checksum + static_cast<int64_t>(p.all_names.size());
    if (shard_key_) p.manifest.encryption_key = shard_key_->fingerprint();
    if (signer_)
      for (int r = 0; r < comm_.world_size(); ++r)
        p.manifest.shard_sha256.push_back(system::to_hex(
            std::string_view(reinterpret_cast<const char*>(&m[first_digest + kDigestWords * r]),
                             kDigestWords * sizeof(int64_t))));
    system::write_file_durably(partial / "config.yaml", p.manifest.config_yaml,
                               /*sync_parent=*/false);
    write_manifest(partial, p.manifest, /*sync_directory=*/false);
    if (signer_) system::sign_file(partial / kManifestFile, *signer_, /*sync_parent=*/false);
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
  stage(state, std::move(manifest), /*copy=*/false);
  SaveOutcome outcome = write_and_commit(/*in_background=*/false);
  outcome.blocking_seconds = outcome.seconds;
  pending_.reset();
  write_from_.clear();  // no alias of the live state kept
  return outcome;
}

void CheckpointWriter::start_async(const std::vector<NamedTensor>& state, Manifest manifest) {
  if (in_flight()) throw std::logic_error("start_async: a save is already in flight");
  stage(state, std::move(manifest), /*copy=*/true);
  const auto start = Clock::now();
  // A collective that throws here (a watchdog's timeout) ends the process, as it would in the
  // training thread: the ranks could no longer agree on anything.
  worker_.post([this]() noexcept {
    pending_->outcome = write_and_commit(/*in_background=*/true);
    done_.store(true, std::memory_order_release);
  });
  pending_->blocking_seconds += seconds_since(start);
}

bool CheckpointWriter::prepare_on_rank0(int64_t step, bool in_background) {
  Pending& p = *pending_;
  torch::Tensor failed = torch::zeros({1}, torch::kInt64);
  if (comm_.rank() == 0) {
    try {
      fill_tensor_table(p.layout, p.plan, p.manifest, p.all_names);
      directory_.begin(step);
    } catch (const std::exception& e) {
      if (p.error.empty()) p.error = cannot_prepare(step, std::string(": ") + e.what());
      failed[0] = 1;
    }
    p.layout.clear();  // no handle to the live state kept
  }
  sum(failed, "all_reduce(checkpoint directory prepared)", in_background);
  if (failed[0].item<int64_t>() == 0) return true;
  // Every rank knows from the sum that rank 0 failed, so all of them enter this broadcast.
  const std::string reason =
      distributed::broadcast_text(comm_.rank() == 0 ? p.error : std::string(), comm_);
  if (p.error.empty()) p.error = reason;
  return false;
}

void CheckpointWriter::sum(torch::Tensor& values, const char* what, bool in_background) {
  // In the background the sum waits without spinning: its thread must not take a core from
  // training (system/background_thread.h).
  if (in_background)
    comm_.start_unhurried_all_reduce_sum(values, what)->wait();
  else
    comm_.all_reduce_sum(values, what);
}

SaveOutcome CheckpointWriter::write_and_commit(bool in_background) {
  Pending& p = *pending_;
  const int rank = comm_.rank();
  const int64_t step = p.manifest.step;
  SaveOutcome outcome;
  outcome.step = step;
  // Every rank enters the three sums, in this order, whatever failed locally: Note [Checkpoint
  // sums] (checkpoint_writer.h).
  copy_sources();  // an async save's copy of the state; nothing to copy for a synchronous one
  await_staged();  // a training thread may still be copying its last tensor
  // Rank 0 writes the tensor table and creates step-N.partial/; the others learn whether it could
  // before writing into it.
  const bool prepared = prepare_on_rank0(step, in_background);
  write_staged();  // writes nothing once p.error is set; reports its own failure
  torch::Tensor outcomes = shard_outcome_message();
  sum(outcomes, "all_reduce(checkpoint shard outcomes)", in_background);
  if (take_shard_outcomes(outcomes, outcome)) {  // the same answer on every rank
    torch::Tensor commit_failed = torch::zeros({1}, torch::kInt64);
    if (rank == 0) {
      commit_on_rank0(outcomes);
      if (!commit_error_.empty()) commit_failed[0] = 1;
    }
    sum(commit_failed, "all_reduce(checkpoint committed)", in_background);
    if (commit_failed[0].item<int64_t>() != 0) {
      outcome.error = at_step(step) + ": rank 0 could not commit" +
                      (rank == 0 ? ": " + commit_error_ : std::string(" (see rank 0's log)"));
    } else {
      outcome.ok = true;
      outcome.path = directory_.step_path(step);
      if (signer_) outcome.signed_by = signer_->fingerprint();
      if (shard_key_) outcome.encrypted_with = shard_key_->fingerprint();
    }
  } else if (!prepared) {
    outcome.error = p.error;  // no rank wrote: the directory is what failed
  }
  outcome.seconds = seconds_since(p.started);
  // Deleting old checkpoints (hundreds of MB) happens before the next save prepares its directory,
  // off the training path: a synchronous save leaves it to the worker.
  if (outcome.ok && rank == 0) {
    if (in_background)
      apply_retention();
    else
      worker_.post([this] { apply_retention(); });
  }
  return outcome;
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
