// AutocastScope: bf16 autocast on CUDA for the lifetime of the object (LibTorch has no C++ guard
// for it), restoring the previous state after. Disabled, it does nothing, which is the CPU path:
// CPU training runs in fp32. Compiled in every build; exercised only where a GPU is present.
#pragma once

namespace pathodino::system {

class AutocastScope {
 public:
  explicit AutocastScope(bool enabled);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool enabled_;
  bool previous_ = false;
};

}  // namespace pathodino::system
