// `single_copy_probe`: prints `cma` and exits 0 when Open MPI's single-copy transport can work on
// this machine, else prints the reason and exits 1. launch/mpirun.sh, the Slurm templates and the
// test setup ask it before choosing btl_vader_single_copy_mechanism. No LibTorch: it runs in
// milliseconds.
#include <cstdio>

#include "trainer/system/single_copy_probe.h"

int main() {
  const std::string problem = pathodino::system::cross_memory_attach_problem();
  if (problem.empty()) {
    std::puts("cma");
    return 0;
  }
  std::printf("none: %s\n", problem.c_str());
  return 1;
}
