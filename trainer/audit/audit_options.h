// The audit section of an experiment: where, besides the run's own audit.jsonl, its records go.
#pragma once

#include <string>

namespace pathodino::audit {

struct AuditOptions {
  // A log shared by every run and command that names it (e.g. one per project or data-use
  // agreement): the same records, chained in the order they arrive; empty = none.
  std::string shared_log;
};

}  // namespace pathodino::audit
