// Which loaded library a symbol of the process is bound to: two libraries that define the same
// symbol (LibTorch's BLAS and the system BLAS both define sgemm_) are resolved to the first one
// loaded, for every caller, so a link-order mistake changes which code every caller runs.
#pragma once

#include <string>

namespace pathodino::system {

// The path of the shared object that defines the process's binding of `symbol`, or "" when no
// loaded object defines it.
std::string library_defining(const char* symbol);

}  // namespace pathodino::system
