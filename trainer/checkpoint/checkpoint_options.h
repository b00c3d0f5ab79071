// CheckpointOptions: the `checkpoint:` section — when to save, what to keep, how to fail.
#pragma once

#include <cstdint>
#include <string>

namespace pathodino::checkpoint {

enum class OnSaveFailure { keep_training, stop };

struct CheckpointOptions {
  std::string directory;         // empty = <run dir>/checkpoints; e.g. a scratch filesystem
  int64_t every_steps = 1250;    // 0 = only at the end of the run
  int64_t keep_last = 3;         // newest complete checkpoints kept
  int64_t keep_every_steps = 0;  // additionally keep every step that is a multiple; 0 = none
  bool async_save = false;       // stage to host memory, write in the background
  OnSaveFailure on_save_failure = OnSaveFailure::keep_training;
  bool fallback_to_previous = true;  // on a corrupt checkpoint, resume from the one before
  // Ed25519 key files (PEM), never keys: Note [Signed checkpoints] in checkpoint_reader.h.
  std::string signing_key;         // private: rank 0 signs every manifest it commits
  std::string public_key;          // loads check a signature against it when there is one
  bool require_signature = false;  // loads refuse a checkpoint without a valid signature
  // AES-256 key file: every rank encrypts its shard; loads decrypt with it (Note [Encrypted
  // checkpoints] in checkpoint_reader.h).
  std::string encryption_key;
};

}  // namespace pathodino::checkpoint
