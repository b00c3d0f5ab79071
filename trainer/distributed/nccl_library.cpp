#include "trainer/distributed/nccl_library.h"

#if PATHODINO_WITH_CUDA
#include <nccl.h>
#endif

namespace pathodino::distributed {
namespace {

[[maybe_unused]] std::string format_nccl_code(int code) {
  // NCCL >= 2.9 encodes versions as major*10000 + minor*100 + patch.
  return std::to_string(code / 10000) + "." + std::to_string(code / 100 % 100) + "." +
         std::to_string(code % 100);
}

}  // namespace

#if PATHODINO_WITH_CUDA
bool nccl_compiled_in() { return true; }
std::string nccl_version_compiled() { return format_nccl_code(NCCL_VERSION_CODE); }
std::string nccl_version_runtime() {
  int code = 0;
  if (ncclGetVersion(&code) != ncclSuccess) return "error";
  return format_nccl_code(code);
}
#else
bool nccl_compiled_in() { return false; }
std::string nccl_version_compiled() { return "not built"; }
std::string nccl_version_runtime() { return "not built"; }
#endif

}  // namespace pathodino::distributed
