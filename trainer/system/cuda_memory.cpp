#include "trainer/system/cuda_memory.h"

#if PATHODINO_TORCH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace pathodino::system {

std::optional<CudaMemory> cuda_memory(int device_index) {
  if (device_index < 0) return std::nullopt;
#if PATHODINO_TORCH_CUDA
  const auto stats =
      c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(device_index));
  constexpr auto all = static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE);
  return CudaMemory{stats.allocated_bytes[all].current, stats.reserved_bytes[all].current};
#else
  return std::nullopt;
#endif
}

}  // namespace pathodino::system
