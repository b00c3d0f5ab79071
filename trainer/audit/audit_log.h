// A tamper-evident audit log: append-only JSON lines, each record carrying the SHA-256 of the one
// before it (`prev`) and of its own content (`hash`), plus a head file (LOG.head: the number of
// records and the last hash, replaced atomically with each append) so that records cut from the
// end are found too. An edited record breaks its own hash, a removed or moved one the chain or
// the sequence numbers, a truncated log its head. Appends take an exclusive lock on the log, so
// several processes can share one log and keep one chain. Every record names its time (UTC),
// user, host and process. No LibTorch. (Note [Audit chain]: audit_verify.h checks exactly what
// append writes.)
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace pathodino::audit {

// The event's own fields; names must not be the record's own keys (seq, time, event, user, host,
// pid, prev, hash).
struct AuditFields {
  std::vector<std::pair<std::string, std::string>> texts;
  std::vector<std::pair<std::string, int64_t>> integers;
};

class AuditLog {
 public:
  // Creates the log and its folder when missing; nothing is opened until an append.
  explicit AuditLog(std::filesystem::path file);

  // Appends one record, durably (fsync), and replaces the head. Throws std::runtime_error naming
  // the log when it cannot be written, ends in a partial record, or does not end where its head
  // says (records removed or added outside pathodino: `pathodino audit verify` tells which).
  void append(const std::string& event, const AuditFields& fields = {});

  // Only the repair an append does first (Note [Interrupted appends]): a run calls it before it
  // verifies its logs, so a crash's traces are repaired rather than taken for tampering.
  void recover();

  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
};

std::filesystem::path head_file(const std::filesystem::path& log);

}  // namespace pathodino::audit
