#include "trainer/audit/audit_trail.h"

#include <stdexcept>

#include "trainer/audit/audit_verify.h"

namespace pathodino::audit {

AuditTrail::AuditTrail(const std::optional<std::filesystem::path>& run_log,
                       const AuditOptions& options) {
  if (run_log) logs_.emplace_back(*run_log);
  if (!options.shared_log.empty()) logs_.emplace_back(options.shared_log);
}

void AuditTrail::verify() {
  for (AuditLog& log : logs_) {
    if (!std::filesystem::exists(log.file())) continue;
    log.recover();
    const AuditVerdict v = verify_audit_log(log.file());
    if (!v.ok)
      throw std::runtime_error(log.file().string() + ": " + v.problem +
                               " — nothing is appended to a tampered audit log");
  }
}

void AuditTrail::record(const std::string& event, const AuditFields& fields) {
  if (!verified_) verify();
  verified_ = true;
  for (AuditLog& log : logs_) log.append(event, fields);
}

}  // namespace pathodino::audit
