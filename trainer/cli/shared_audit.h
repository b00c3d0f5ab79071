// Commands outside a run (eval, embed, export) leave their record in the shared audit log when the
// config names one (audit.shared_log); a run's own events are written by the run.
#pragma once

#include <filesystem>
#include <string>

#include "trainer/audit/audit_trail.h"
#include "trainer/config/experiment_config.h"
#include "trainer/system/sha256.h"

namespace pathodino::cli {

// `backbone`: the file the command read, named with its SHA-256; empty for an initialisation.
inline void record_in_shared_log(const ExperimentConfig& config, const std::string& event,
                                 const std::string& backbone, audit::AuditFields fields = {}) {
  if (config.audit.shared_log.empty()) return;
  if (!backbone.empty()) {
    fields.texts.emplace_back("backbone", backbone);
    fields.texts.emplace_back("backbone_sha256", system::file_sha256(backbone));
  }
  audit::AuditTrail(std::nullopt, config.audit).record(event, fields);
}

}  // namespace pathodino::cli
