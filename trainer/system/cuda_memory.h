// What LibTorch's CUDA caching allocator holds on a device: bytes in live tensors (allocated) and
// bytes taken from the driver (reserved, which is what another process cannot have). For the
// Prometheus memory gauges. GPU code, compiled in CI, never run there (no GPU).
#pragma once

#include <cstdint>
#include <optional>

namespace pathodino::system {

struct CudaMemory {
  int64_t allocated_bytes = 0, reserved_bytes = 0;
};

// nullopt for a negative index (a CPU run) or a LibTorch without CUDA.
std::optional<CudaMemory> cuda_memory(int device_index);

}  // namespace pathodino::system
