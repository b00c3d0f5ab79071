// The manifest of one saved step, `manifest.json`: what makes a checkpoint directory complete.
// Rank 0 writes it last, after every rank's shard is durable; it names every tensor's shard,
// dtype, shape and XXH3-64 checksum, and carries everything else the run needs to continue
// exactly: the resolved config (and its hash), the sampler's stream position, counters, and the
// versions that wrote it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace pathodino::checkpoint {

class CheckpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TensorEntry {
  int shard = 0;      // index into Manifest::shards
  std::string dtype;  // safetensors dtype name: F32, I64, ...
  std::vector<int64_t> shape;
  uint64_t xxh3 = 0;  // of the tensor's bytes, C order, little-endian
};

// Where the sample stream stands: images consumed by the steps done so far. Positions (not steps)
// so that a run resumed on another world size, whose global batch differs, reads on from the same
// image.
struct SamplerState {
  uint64_t seed = 0;
  int64_t position = 0;
  int64_t epoch_length = 0;
  int64_t epoch() const { return epoch_length > 0 ? position / epoch_length : 0; }
};

struct Manifest {
  int64_t step = 0;  // steps completed; a resumed run starts at this step
  int world_size = 1;
  std::string config_yaml;   // the resolved config of the run that wrote it
  uint64_t config_hash = 0;  // XXH3-64 of config_yaml
  SamplerState sampler;
  std::map<std::string, int64_t> counters;  // skipped steps, source health, …
  std::string rng;  // how the run's random streams are derived (no generator state to restore)
  std::string pathodino_version, libtorch_version;
  std::string pathodino_commit;  // git commit of the build ("-dirty": uncommitted changes)
  // The data behind the weights (Note [Data ledger] in data/index/draw_ledger.h): the tile index
  // the run drew from ("tile_index") and its SHA-256 ("tile_index_sha256"); empty for sources
  // without an index. With the config and the sampler position it names every tile drawn.
  std::map<std::string, std::string> data;
  std::vector<std::string> shards;  // file names, one per writing rank
  // SHA-256 of each shard file, in the order of `shards`, when the checkpoint is signed: the
  // signature covers the manifest, and these tie the shards to it (Note [Signed checkpoints]).
  std::vector<std::string> shard_sha256;
  // Fingerprint of the AES-256 key the shards are encrypted with; empty when they are not
  // (Note [Encrypted checkpoints]).
  std::string encryption_key;
  std::map<std::string, TensorEntry> tensors;
};

std::string to_json(const Manifest& manifest);
// Throws CheckpointError naming `origin` and the field at fault.
Manifest manifest_from_json(const std::string& text, const std::string& origin);

Manifest read_manifest(const std::filesystem::path& checkpoint_dir);
void write_manifest(const std::filesystem::path& checkpoint_dir, const Manifest& manifest,
                    bool sync_directory = true);

inline constexpr const char* kManifestFile = "manifest.json";

}  // namespace pathodino::checkpoint
