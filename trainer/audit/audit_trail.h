// The audit logs one run or command writes to: its run folder's audit.jsonl and, when configured,
// the shared log (audit.shared_log) — the same record in each, each log with its own chain.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "trainer/audit/audit_log.h"
#include "trainer/audit/audit_options.h"

namespace pathodino::audit {

class AuditTrail {
 public:
  // `run_log`: nullopt for a command that belongs to no run folder.
  AuditTrail(const std::optional<std::filesystem::path>& run_log, const AuditOptions& options);

  // Appends to every log (audit_log.h for what throws), verifying them first the first time.
  // Nothing to do without a log.
  void record(const std::string& event, const AuditFields& fields = {});

  // Repairs a crash's traces, then verifies every log that exists from its first record
  // (audit_verify.h); throws std::runtime_error naming the log and its first fault. Called before
  // the first record, so nothing is appended to a log tampered with anywhere, not only at its end.
  void verify();

  bool empty() const { return logs_.empty(); }

 private:
  std::vector<AuditLog> logs_;
  bool verified_ = false;
};

// The file name of a run's own audit log inside its run folder.
inline constexpr const char* kRunAuditLog = "audit.jsonl";

}  // namespace pathodino::audit
