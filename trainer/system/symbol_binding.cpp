#include "trainer/system/symbol_binding.h"

#include <dlfcn.h>

namespace pathodino::system {

std::string library_defining(const char* symbol) {
  void* address = dlsym(RTLD_DEFAULT, symbol);
  Dl_info info{};
  if (address == nullptr || dladdr(address, &info) == 0 || info.dli_fname == nullptr) return "";
  return info.dli_fname;
}

}  // namespace pathodino::system
