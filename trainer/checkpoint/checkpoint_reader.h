// Reading checkpoints back: every tensor verified against the manifest (present, dtype, shape,
// XXH3-64 checksum) before anything is used, errors naming the file and the tensor; and choosing
// which checkpoint a resume reads, falling back to the previous complete one when the newest is
// damaged (checkpoint.fallback_to_previous).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <torch/types.h>

#include "trainer/checkpoint/checkpoint_manifest.h"

namespace pathodino::checkpoint {

struct LoadedCheckpoint {
  std::filesystem::path path;  // the step directory
  Manifest manifest;
  std::map<std::string, torch::Tensor> tensors;  // CPU
};

// Note [Signed checkpoints]: with checkpoint.signing_key, rank 0 signs manifest.json when it
// commits a save (manifest.json.sig: Note [Signed files] in trainer/system/ed25519.h), and the
// manifest then holds each shard file's SHA-256. The XXH3 checksums find accidental damage, not
// deliberate edits (anyone can recompute them), so only the signature and the SHA-256 sums let a
// holder of the public key detect an altered, replaced or swapped shard. A load given a public
// key checks the signature when there is one (when required: refuses a checkpoint without one),
// then every shard it reads against its SHA-256, before anything is used.
// Note [Encrypted checkpoints]: with checkpoint.encryption_key every rank writes its shard
// through AES-256-GCM (Note [Encrypted files] in trainer/system/aes_gcm.h) with the step and the
// shard's file name as authenticated data, and the manifest names the key by fingerprint. Loading
// needs the same key; an altered shard, a shard moved or swapped, and the wrong key are refused
// naming the file. Manifests stay readable (the ledger and `checkpoint list` need no key); they
// hold no patient data.
struct CheckpointKeys {
  std::filesystem::path public_key;      // empty: signatures are not checked
  bool required = false;                 // refuse an unsigned checkpoint (needs public_key)
  std::filesystem::path encryption_key;  // AES-256 key file of encrypted shards
};

// Reads the checkpoint in `step_dir`, only the tensors whose names start with one of `prefixes`
// (empty: all). Throws CheckpointError.
LoadedCheckpoint load_checkpoint(const std::filesystem::path& step_dir,
                                 const std::vector<std::string>& prefixes = {},
                                 const CheckpointKeys& keys = {});

// Checks `step_dir`'s manifest signature as load_checkpoint does: true when it verified, false
// when not checked (no key, or unsigned and not required). Throws CheckpointError naming the file.
bool check_manifest_signature(const std::filesystem::path& step_dir, const CheckpointKeys& keys);

// A checkpoint directory given on the command line: a step directory, or a run's checkpoints
// directory or run directory (→ the checkpoint its `latest` names).
std::filesystem::path resolve_checkpoint_path(const std::filesystem::path& given);

struct ResumeChoice {
  LoadedCheckpoint checkpoint;
  std::vector<std::string> warnings;  // checkpoints passed over, and why
};

// `spec` = "auto": `latest` under `checkpoints_root`, nullopt when the run has no checkpoint yet;
// otherwise a path as resolve_checkpoint_path takes. With `fallback`, a checkpoint that fails to
// load is passed over for the next older complete one (auto: in `checkpoints_root`; a path: in its
// parent); without, or when none loads, throws CheckpointError with every reason.
std::optional<ResumeChoice> choose_resume_checkpoint(const std::string& spec,
                                                     const std::filesystem::path& checkpoints_root,
                                                     bool fallback,
                                                     const CheckpointKeys& keys = {});

}  // namespace pathodino::checkpoint
