// Checking an audit log (audit_log.h) from its first record to its head: each record's hash over
// its content, its sequence number, its link to the record before, and the head file against the
// last record. The first fault is reported with its line, record and event.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace pathodino::audit {

struct AuditVerdict {
  bool ok = false;
  int64_t records = 0;  // records checked before the fault (all of them when ok)
  std::string head;     // the last good record's hash
  std::string problem;  // empty when ok: "line 3 (record 2, checkpoint_save): …"
  std::string note;     // a crash's trace that the next append repairs (Note [Interrupted appends])
};

// Throws std::runtime_error only when the log cannot be opened.
AuditVerdict verify_audit_log(const std::filesystem::path& log);

}  // namespace pathodino::audit
