// ExperimentConfig: the whole validated configuration of a run, one Options struct per component.
// Each module receives only its own section. Member names are the YAML keys (see
// experiment_schema.cpp), and default member values are the defaults.
#pragma once

#include <cstdint>
#include <string>

#include "data/data_options.h"
#include "data/index/pseudonyms.h"
#include "models/model_options.h"
#include "trainer/audit/audit_options.h"
#include "trainer/checkpoint/checkpoint_options.h"
#include "trainer/curate/curate_options.h"
#include "trainer/distributed/distributed_options.h"
#include "trainer/eval/eval_options.h"
#include "trainer/eval/labelled_set.h"
#include "trainer/metrics/metrics_options.h"
#include "trainer/optim/optim_options.h"
#include "trainer/ssl/ssl_options.h"

namespace pathodino {

enum class DeviceKind { auto_select, cpu, cuda };
enum class Precision { auto_select, fp32, bf16 };

struct RunOptions {
  std::string name;  // empty: the stem of the config file
  std::string output_dir = "runs";
  int64_t seed = 0;
  DeviceKind device = DeviceKind::auto_select;   // auto: CUDA when a GPU is visible
  Precision precision = Precision::auto_select;  // auto: bf16 autocast on CUDA, fp32 on CPU
  int64_t intra_op_threads = 0;                  // 0 = cores / local ranks
  int64_t log_every_steps = 10;
  int64_t max_consecutive_nonfinite = 5;  // skipped non-finite steps in a row before stopping
};

struct ExperimentConfig {
  RunOptions run;
  models::ModelOptions model;
  ssl::SslOptions ssl;
  optim::OptimOptions optim;
  data::DataOptions data;
  distributed::DistributedOptions distributed;
  checkpoint::CheckpointOptions checkpoint;
  metrics::MetricsOptions metrics;
  eval::EvalOptions eval;
  curate::CurateOptions curate;  // read by `pathodino curate`, not by training
  audit::AuditOptions audit;
  data::PrivacyOptions privacy;  // Note [Pseudonyms] in data/index/pseudonyms.h
};

// The sections an evaluation of this run reads.
inline eval::EvalSections eval_sections(const ExperimentConfig& config) {
  return {config.data, config.eval, static_cast<uint64_t>(config.run.seed), config.privacy};
}

}  // namespace pathodino
