// The model card of a run report, in Markdown: the data (slides, tiles and sites of the tile index,
// the labelled evaluation set), the recipe (the resolved config's main keys), the compute (ranks,
// steps, images, time), the evaluation next to random features of the same architecture, and the
// known limits — each limit a rule over the numbers above, so nothing in the card is written by
// hand for one run.
#pragma once

#include <optional>
#include <string>

#include "trainer/metrics/run_log.h"
#include "trainer/report/report_evaluation.h"

namespace pathodino::report {

// What the latest checkpoint's manifest says of the run's scale.
struct LatestCheckpoint {
  int world_size = 1;
  int64_t step = 0;
  int64_t images_drawn = 0;  // its sampler position: exact across resumes on other rank counts
};

struct CardInputs {
  std::string run_name;
  std::string config_yaml;                       // the run's resolved config
  const metrics::RunLog* log;                    // the run's metrics.jsonl
  const ReportEvaluation* evaluation = nullptr;  // nullptr: not evaluated
  std::string not_evaluated;                     // why, when it is nullptr
  std::optional<LatestCheckpoint> checkpoint;    // nullopt without a readable one
  int64_t prototypes = 0;                        // K of the DINO head
};

std::string data_section(const CardInputs& in);
std::string recipe_section(const CardInputs& in);
std::string compute_section(const CardInputs& in);
std::string evaluation_section(const CardInputs& in);
std::string limits_section(const CardInputs& in);

}  // namespace pathodino::report
