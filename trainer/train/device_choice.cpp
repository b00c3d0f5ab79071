#include "trainer/train/device_choice.h"

#include <torch/cuda.h>

#include <stdexcept>

namespace pathodino::train {

DeviceChoice choose_device(const RunOptions& run, int local_rank) {
  const bool gpu = torch::cuda::is_available();
  if (run.device == DeviceKind::cuda && !gpu)
    throw std::runtime_error("run.device is cuda, but no CUDA device is visible");
  DeviceChoice choice;
  const bool cuda =
      run.device == DeviceKind::cuda || (run.device == DeviceKind::auto_select && gpu);
  if (cuda)
    choice.device = torch::Device(
        torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank % torch::cuda::device_count()));
  if (run.precision == Precision::bf16 && !cuda)
    throw std::runtime_error(
        "run.precision is bf16, which this trainer runs on CUDA only; use fp32");
  choice.bf16_autocast = cuda && run.precision != Precision::fp32;
  return choice;
}

}  // namespace pathodino::train
