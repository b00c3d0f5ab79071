#include "models/interchange/tensor_bytes.h"

#include <cstring>

namespace pathodino::models {
namespace {

constexpr std::pair<StDtype, torch::Dtype> kMap[] = {
    {StDtype::F64, torch::kFloat64}, {StDtype::F32, torch::kFloat32},
    {StDtype::F16, torch::kFloat16}, {StDtype::BF16, torch::kBFloat16},
    {StDtype::I64, torch::kInt64},   {StDtype::I32, torch::kInt32},
    {StDtype::I16, torch::kInt16},   {StDtype::I8, torch::kInt8},
    {StDtype::U8, torch::kUInt8},    {StDtype::BOOL, torch::kBool}};

}  // namespace

StDtype to_st_dtype(torch::ScalarType type, const std::string& name) {
  for (const auto& [st, dtype] : kMap)
    if (dtype == type) return st;
  throw SafetensorsError("tensor '" + name + "' has a dtype safetensors cannot hold: " +
                         std::string(c10::toString(type)));
}

StTensor to_st_tensor(const std::string& name, const torch::Tensor& tensor) {
  StTensor entry;
  entry.name = name;
  entry.dtype = to_st_dtype(tensor.scalar_type(), name);
  const torch::Tensor cpu = tensor.detach().to(torch::kCPU).contiguous();
  entry.shape.assign(cpu.sizes().begin(), cpu.sizes().end());
  entry.data.resize(cpu.nbytes());
  if (cpu.nbytes() > 0) std::memcpy(entry.data.data(), cpu.data_ptr(), cpu.nbytes());
  return entry;
}

torch::Tensor from_st_tensor(const StTensor& entry) {
  torch::Dtype dtype = torch::kFloat32;
  for (const auto& [st, d] : kMap)
    if (st == entry.dtype) dtype = d;
  torch::Tensor tensor = torch::empty(entry.shape, torch::TensorOptions().dtype(dtype));
  if (!entry.data.empty()) std::memcpy(tensor.data_ptr(), entry.data.data(), entry.data.size());
  return tensor;
}

}  // namespace pathodino::models
