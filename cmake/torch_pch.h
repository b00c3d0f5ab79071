// The precompiled header shared by every LibTorch-using target (cmake/TorchPch.cmake).
#pragma once
#include <torch/torch.h>
