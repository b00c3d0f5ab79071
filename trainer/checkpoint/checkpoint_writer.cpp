#include "trainer/checkpoint/checkpoint_writer.h"

#include <torch/torch.h>
#include <xxhash.h>

#include <chrono>
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

}  // namespace

SaveOutcome CheckpointWriter::save(const std::vector<NamedTensor>& state, Manifest manifest) {
  const auto start = std::chrono::steady_clock::now();
  const int rank = comm_.rank(), world = comm_.world_size();
  const int64_t step = manifest.step;
  SaveOutcome outcome;

  std::filesystem::path partial;
  try {
    dist::on_rank0_for_all(comm_, [&] { directory_.begin(step); });
    partial = directory_.partial_path(step);
  } catch (const std::exception& e) {
    outcome.error = "checkpoint at step " + std::to_string(step) + ": rank 0 could not prepare " +
                    directory_.partial_path(step).string() + ": " + e.what();
    return outcome;
  }

  // This rank's shard: host copies, written durably; checksums of every tensor it holds.
  std::vector<int64_t> bytes;
  for (const NamedTensor& t : state) bytes.push_back(static_cast<int64_t>(t.tensor.nbytes()));
  const std::vector<int> plan = assign_shards(bytes, world);
  const int64_t n = static_cast<int64_t>(state.size());
  torch::Tensor checksums = torch::zeros({n}, torch::kInt64);
  torch::Tensor failed = torch::zeros({world + 1}, torch::kInt64);  // per rank; last: bytes
  std::vector<std::string> dtypes(state.size());
  std::string my_error;
  try {
    models::SafetensorsContent shard;
    for (int64_t i = 0; i < n; ++i) {
      if (plan[i] != rank) continue;
      shard.tensors.push_back(models::to_st_tensor(state[i].name, state[i].tensor));
      const auto& data = shard.tensors.back().data;
      checksums[i] = as_int64(XXH3_64bits(data.data(), data.size()));
      failed[world] += static_cast<int64_t>(data.size());
    }
    shard.metadata["step"] = std::to_string(step);
    shard.metadata["rank"] = std::to_string(rank);
    models::write_safetensors(partial / shard_file_name(rank, world), shard);
    sync_directory(partial);
  } catch (const std::exception& e) {
    my_error = e.what();
    failed[rank] = 1;
  }
  comm_.all_reduce_sum(checksums, "all_reduce(checkpoint checksums)");
  comm_.all_reduce_sum(failed, "all_reduce(checkpoint shard outcomes)");
  outcome.bytes = failed[world].item<int64_t>();
  std::string failed_ranks;
  for (int r = 0; r < world; ++r)
    if (failed[r].item<int64_t>() != 0)
      failed_ranks += (failed_ranks.empty() ? "" : ", ") + std::to_string(r);
  if (!failed_ranks.empty()) {
    outcome.error =
        "checkpoint at step " + std::to_string(step) + ": rank(s) " + failed_ranks +
        " could not write their shard" +
        (my_error.empty() ? "" : " (rank " + std::to_string(rank) + ": " + my_error + ")");
    return outcome;
  }

  // Every shard is durable: rank 0 commits.
  manifest.world_size = world;
  manifest.pathodino_version = PATHODINO_VERSION;
  manifest.libtorch_version = TORCH_VERSION;
  manifest.shards.clear();
  for (int r = 0; r < world; ++r) manifest.shards.push_back(shard_file_name(r, world));
  for (int64_t i = 0; i < n; ++i) {
    TensorEntry entry;
    entry.shard = plan[i];
    entry.dtype =
        models::dtype_name(models::to_st_dtype(state[i].tensor.scalar_type(), state[i].name));
    entry.shape.assign(state[i].tensor.sizes().begin(), state[i].tensor.sizes().end());
    entry.xxh3 = as_uint64(checksums[i].item<int64_t>());
    manifest.tensors[state[i].name] = std::move(entry);
  }
  try {
    dist::on_rank0_for_all(comm_, [&] {
      write_file_durably(partial / "config.yaml", manifest.config_yaml);
      write_manifest(partial, manifest);
      directory_.commit(step);
      directory_.apply_retention(options_);
    });
  } catch (const std::exception& e) {
    outcome.error =
        "checkpoint at step " + std::to_string(step) + ": rank 0 could not commit: " + e.what();
    return outcome;
  }
  outcome.ok = true;
  outcome.path = directory_.step_path(step);
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return outcome;
}

}  // namespace pathodino::checkpoint
