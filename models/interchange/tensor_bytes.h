// Between LibTorch tensors and safetensors entries: bytes copied in C order, dtypes mapped.
#pragma once

#include <torch/types.h>

#include "models/interchange/safetensors.h"

namespace pathodino::models {

// The safetensors dtype of a LibTorch dtype; throws SafetensorsError naming `name` for dtypes
// safetensors cannot hold.
StDtype to_st_dtype(torch::ScalarType type, const std::string& name);

// A contiguous CPU copy of `tensor` as a safetensors entry.
StTensor to_st_tensor(const std::string& name, const torch::Tensor& tensor);
// A new CPU tensor holding the entry's values.
torch::Tensor from_st_tensor(const StTensor& entry);

}  // namespace pathodino::models
