// The rank-0 progress line: where the run is, how fast, when it ends, and the loss terms.
//   step 120/250 (48%) | 21.4 img/s | ETA 1m36s | loss 7.412 dino 7.021 ibot 0.512 koleo -0.121
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace pathodino::metrics {

struct Progress {
  int64_t step = 0, total_steps = 0;  // step = steps done
  double images_per_second = 0;
  double seconds_per_step = 0;
  std::vector<std::pair<std::string, double>> terms;  // printed in order
};

std::string format_duration(double seconds);  // "45s", "3m05s", "2h07m"
std::string progress_line(const Progress& progress);

}  // namespace pathodino::metrics
