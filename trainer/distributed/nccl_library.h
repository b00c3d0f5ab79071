// Facts about the NCCL this build was compiled against (GPU builds only; see nccl_library.cpp).
#pragma once

#include <string>

namespace pathodino::distributed {

bool nccl_compiled_in();
std::string nccl_version_compiled();  // from nccl.h, e.g. "2.28.9"; "not built" without CUDA
std::string
nccl_version_runtime();  // ncclGetVersion of the loaded libnccl; "not built" without CUDA

}  // namespace pathodino::distributed
