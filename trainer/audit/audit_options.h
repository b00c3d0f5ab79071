// The audit section of an experiment: where, besides the run's own audit.jsonl, its records go.
#pragma once

#include <string>

namespace pathodino::audit {

struct AuditOptions {
  // A log shared by every run and command that names it (e.g. one per project or data-use
  // agreement): the same records, chained in the order they arrive; empty = none.
  std::string shared_log;
  // Every rank writes the dataset index of every image it trains on to RUN/draws/rank_<r>.csv
  // (step,rank,index): the independent record a data ledger is checked against.
  bool draw_log = false;
};

}  // namespace pathodino::audit
