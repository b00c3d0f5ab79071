#include "trainer/checkpoint/checkpoint_reader.h"

#include <torch/torch.h>
#include <xxhash.h>

#include <algorithm>
#include <sstream>

#include "models/interchange/safetensors.h"
#include "models/interchange/tensor_bytes.h"
#include "trainer/checkpoint/checkpoint_directory.h"
#include "trainer/system/aes_gcm.h"
#include "trainer/system/ed25519.h"
#include "trainer/system/sha256.h"

namespace pathodino::checkpoint {
namespace {

bool wanted(const std::string& name, const std::vector<std::string>& prefixes) {
  if (prefixes.empty()) return true;
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](const std::string& p) { return name.starts_with(p); });
}

// The step of a step directory's name, or nullopt.
std::optional<int64_t> step_of(const std::filesystem::path& dir) {
  const std::string name = dir.filename().string();
  if (!name.starts_with("step-") || name.size() < 6 ||
      name.find_first_not_of("0123456789", 5) != std::string::npos)
    return std::nullopt;
  return std::stoll(name.substr(5));
}

// A shard of a signed checkpoint against the SHA-256 its manifest holds: Note [Signed checkpoints].
void check_shard_sha256(const std::filesystem::path& file, const Manifest& m, size_t shard) {
  if (m.shard_sha256.empty())
    throw CheckpointError(file.parent_path().string() + "/" + kManifestFile +
                          ": signed, but lists no shard SHA-256 to check the shards against");
  if (system::file_sha256(file) != m.shard_sha256[shard])
    throw CheckpointError(file.string() +
                          ": its SHA-256 differs from the signed manifest's (the shard was "
                          "altered, replaced or swapped)");
}

// The key of an encrypted checkpoint's shards, nullopt for a plain one: Note [Encrypted
// checkpoints].
std::optional<system::AesKey> shard_key(const std::filesystem::path& step_dir, const Manifest& m,
                                        const CheckpointKeys& keys) {
  if (m.encryption_key.empty()) return std::nullopt;
  const std::string manifest = (step_dir / kManifestFile).string();
  if (keys.encryption_key.empty())
    throw CheckpointError(manifest + ": the shards are encrypted (key " + m.encryption_key +
                          "), and no encryption key was given (checkpoint.encryption_key)");
  try {
    system::AesKey key = system::AesKey::load(keys.encryption_key);
    if (key.fingerprint() != m.encryption_key)
      throw CheckpointError(manifest + ": the shards are encrypted with key " + m.encryption_key +
                            ", not with key " + key.fingerprint() + " (" +
                            keys.encryption_key.string() + ")");
    return key;
  } catch (const system::EncryptionError& e) {
    throw CheckpointError(e.what());
  }
}

models::SafetensorsContent read_shard(const std::filesystem::path& file, int64_t step,
                                      const std::optional<system::AesKey>& key) {
  try {
    if (!key) return models::read_safetensors(file);
    std::istringstream plain(
        system::decrypt_file(file, *key, shard_authenticated_data(step, file.filename())));
    return models::read_safetensors(plain, plain.str().size(), file);
  } catch (const models::SafetensorsError& e) {
    throw CheckpointError(std::string("corrupt shard: ") + e.what());
  } catch (const system::EncryptionError& e) {
    throw CheckpointError(e.what());
  }
}

}  // namespace

bool check_manifest_signature(const std::filesystem::path& step_dir, const CheckpointKeys& keys) {
  const std::filesystem::path manifest = step_dir / kManifestFile;
  if (keys.public_key.empty()) {
    if (keys.required)
      throw CheckpointError(manifest.string() +
                            ": a signature is required, but no public key was given to check it");
    return false;
  }
  if (!keys.required && !std::filesystem::exists(system::signature_path(manifest))) return false;
  try {
    system::verify_file_signature(manifest, system::Ed25519Key::load_public(keys.public_key));
  } catch (const system::SignatureError& e) {
    throw CheckpointError(e.what());
  }
  return true;
}

LoadedCheckpoint load_checkpoint(const std::filesystem::path& step_dir,
                                 const std::vector<std::string>& prefixes,
                                 const CheckpointKeys& keys) {
  LoadedCheckpoint out;
  out.path = step_dir;
  const bool signed_manifest = check_manifest_signature(step_dir, keys);
  out.manifest = read_manifest(step_dir);
  const Manifest& m = out.manifest;
  const std::optional<system::AesKey> key = shard_key(step_dir, m, keys);
  for (size_t shard = 0; shard < m.shards.size(); ++shard) {
    bool needed = false;
    for (const auto& [name, entry] : m.tensors)
      needed |= entry.shard == static_cast<int>(shard) && wanted(name, prefixes);
    if (!needed) continue;
    const std::filesystem::path file = step_dir / m.shards[shard];
    if (!std::filesystem::exists(file))
      throw CheckpointError(file.string() + ": shard file is missing");
    if (signed_manifest) check_shard_sha256(file, m, shard);
    const models::SafetensorsContent content = read_shard(file, m.step, key);
    for (const auto& [name, entry] : m.tensors) {
      if (entry.shard != static_cast<int>(shard) || !wanted(name, prefixes)) continue;
      const models::StTensor* t = content.find(name);
      const std::string where = file.string() + ": tensor '" + name + "'";
      if (t == nullptr) throw CheckpointError(where + " is missing from the shard");
      if (models::dtype_name(t->dtype) != entry.dtype || t->shape != entry.shape)
        throw CheckpointError(where + " does not match the manifest's dtype/shape");
      if (XXH3_64bits(t->data.data(), t->data.size()) != entry.xxh3)
        throw CheckpointError(where + " fails its checksum (the file is corrupt)");
      out.tensors.emplace(name, models::from_st_tensor(*t));
    }
  }
  return out;
}

std::filesystem::path resolve_checkpoint_path(const std::filesystem::path& given) {
  if (std::filesystem::exists(given / kManifestFile) || step_of(given)) return given;
  for (const std::filesystem::path& root : {given, given / "checkpoints"}) {
    const CheckpointDirectory dir(root);
    if (const auto latest = dir.latest()) return dir.step_path(*latest);
  }
  throw CheckpointError(given.string() +
                        ": neither a checkpoint (no manifest.json) nor a directory with a "
                        "`latest` checkpoint");
}

namespace {

// Older complete checkpoints than `first` (all of them when it is empty) in `root`, newest first.
std::vector<std::filesystem::path> older_checkpoints(const std::filesystem::path& root,
                                                     const std::filesystem::path& first) {
  std::vector<int64_t> steps = CheckpointDirectory(root).complete_steps();
  const std::optional<int64_t> first_step = first.empty() ? std::nullopt : step_of(first);
  std::sort(steps.rbegin(), steps.rend());
  std::vector<std::filesystem::path> older;
  for (int64_t step : steps)
    if (!first_step || step < *first_step)
      older.push_back(CheckpointDirectory(root).step_path(step));
  return older;
}

// The first candidate that loads; `reasons` gathers why the others did not.
ResumeChoice first_loadable(const std::vector<std::filesystem::path>& candidates, bool fallback,
                            const CheckpointKeys& keys, std::vector<std::string> reasons) {
  ResumeChoice choice;
  for (const auto& candidate : candidates) {
    try {
      choice.checkpoint = load_checkpoint(candidate, {}, keys);
      choice.warnings = reasons;
      if (!reasons.empty())
        choice.warnings.push_back("resuming from the previous complete checkpoint " +
                                  candidate.string());
      return choice;
    } catch (const std::exception& e) {
      reasons.push_back(e.what());
      if (!fallback) throw CheckpointError(e.what());
    }
  }
  std::string message = "no checkpoint to resume from could be loaded:";
  for (const auto& reason : reasons) message += "\n  " + reason;
  throw CheckpointError(message);
}

}  // namespace

std::optional<ResumeChoice> choose_resume_checkpoint(const std::string& spec,
                                                     const std::filesystem::path& checkpoints_root,
                                                     bool fallback, const CheckpointKeys& keys) {
  std::filesystem::path first;
  std::filesystem::path root = checkpoints_root;
  std::vector<std::string> reasons;
  if (spec == "auto") {
    const CheckpointDirectory dir(checkpoints_root);
    std::optional<int64_t> latest;
    try {
      latest = dir.latest();
    } catch (const CheckpointError& e) {
      if (!fallback) throw;
      reasons.push_back(e.what());
    }
    if (latest)
      first = dir.step_path(*latest);
    else if (reasons.empty() && dir.complete_steps().empty())
      return std::nullopt;  // a fresh run
  } else {
    first = resolve_checkpoint_path(spec);
    root = first.parent_path();
  }
  // Candidates: the chosen one, then (with fallback) older complete ones, newest first.
  std::vector<std::filesystem::path> candidates;
  if (!first.empty()) candidates.push_back(first);
  if (fallback)
    for (auto& older : older_checkpoints(root, first)) candidates.push_back(std::move(older));
  return first_loadable(candidates, fallback, keys, std::move(reasons));
}

}  // namespace pathodino::checkpoint
