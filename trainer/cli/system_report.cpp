#include "trainer/cli/system_report.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <regex>

#include "data/openslide_library.h"
#include "trainer/distributed/mpi_runtime.h"
#include "trainer/distributed/nccl_library.h"
#include "trainer/system/heap_policy.h"
#include "trainer/system/single_copy_probe.h"
#include "trainer/system/symbol_binding.h"

namespace pathodino::cli {
namespace {

// The version of the LibTorch actually loaded (its build settings), which differs from the
// headers' TORCH_VERSION when the Python environment changed under a build.
std::string loaded_torch_version() {
  std::smatch match;
  const std::string config = at::show_config();
  if (std::regex_search(config, match, std::regex("TORCH_VERSION=([^,\\s]+)"))) return match[1];
  return "unknown";
}

// Note [LibTorch's BLAS first] (cmake/TorchPch.cmake): every matrix product of the process,
// LibTorch's and Faiss's, runs in the library that sgemm_ is bound to.
void add_blas_binding(SystemReport& report) {
  const std::string blas = system::library_defining("sgemm_");
  report.facts.emplace_back("BLAS (sgemm_)", blas.empty() ? "none loaded" : blas);
  if (!blas.empty() && blas.find("libtorch_cpu") == std::string::npos)
    report.problems.push_back("sgemm_ is bound to " + blas +
                              ", not LibTorch's BLAS: every backbone forward runs there "
                              "(relink with libtorch_cpu first)");
}

}  // namespace

const std::string* SystemReport::fact(const std::string& label) const {
  for (const auto& [name, value] : facts)
    if (name == label) return &value;
  return nullptr;
}

SystemReport collect_system_report() {
  SystemReport report;
  auto add = [&](std::string label, std::string value) {
    report.facts.emplace_back(std::move(label), std::move(value));
  };
  add("pathodino", PATHODINO_VERSION);

  const std::string loaded = loaded_torch_version();
  add("LibTorch", std::string(TORCH_VERSION) + " (loaded: " + loaded + ")");
  if (loaded != TORCH_VERSION && loaded.rfind(std::string(TORCH_VERSION) + "+", 0) != 0)
    report.problems.push_back("LibTorch headers are " + std::string(TORCH_VERSION) +
                              " but the loaded library is " + loaded +
                              ": rebuild after launch/setup.sh");
  add("LibTorch CUDA build", PATHODINO_TORCH_CUDA ? "yes" : "no");
  add("GPU code paths compiled", PATHODINO_WITH_CUDA ? "yes" : "no");
  // No driver or no GPU both mean 0 devices here; neither is an error on a CPU machine.
  add("visible GPUs", std::to_string(torch::cuda::device_count()));
  add("NCCL compiled against", distributed::nccl_version_compiled());
  add("NCCL loaded", distributed::nccl_version_runtime());
  add("MPI library", distributed::mpi_library_version());
  const std::string single_copy = system::cross_memory_attach_problem();
  add("MPI single copy (CMA)", single_copy.empty() ? "yes" : "no: " + single_copy);
  add("OpenSlide", data::openslide_version());
  add("intra-op threads", std::to_string(at::get_num_threads()));
  add("inter-op threads", std::to_string(at::get_num_interop_threads()));
  add("MKL", at::hasMKL() ? "yes" : "no");
  add_blas_binding(report);
  add("allocator", system::allocator_description());
  if (!system::tcmalloc_serves_malloc())
    report.problems.push_back(
        "tcmalloc is linked but glibc's malloc serves allocations: training faults pages afresh "
        "every few steps");

  try {
    // A matmul with a known answer: catches a LibTorch that loads but cannot compute.
    const auto a = torch::arange(6, torch::kFloat32).reshape({2, 3});
    const auto product = torch::mm(a, a.t());
    const auto expected = torch::tensor({{5.0f, 14.0f}, {14.0f, 50.0f}});
    if (!torch::allclose(product, expected))
      report.problems.push_back("LibTorch computed a wrong 2x3 matmul");
  } catch (const std::exception& e) {
    report.problems.push_back(std::string("LibTorch cannot compute: ") + e.what());
  }
  if (data::openslide_version() == "unknown")
    report.problems.push_back("OpenSlide did not report a version");
  if (PATHODINO_WITH_CUDA && distributed::nccl_version_runtime() == "error")
    report.problems.push_back("libnccl is linked but ncclGetVersion failed");
  return report;
}

}  // namespace pathodino::cli
