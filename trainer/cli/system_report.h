// SystemReport: what this build and machine provide — LibTorch, GPUs, NCCL, MPI, OpenSlide,
// threads — and what is broken. `pathodino doctor` prints it.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace pathodino::cli {

struct SystemReport {
  std::vector<std::pair<std::string, std::string>> facts;  // label, value; in print order
  std::vector<std::string> problems;                       // empty when everything works
  const std::string* fact(const std::string& label) const;
};

SystemReport collect_system_report();

}  // namespace pathodino::cli
