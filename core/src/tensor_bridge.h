#pragma once
// Private to core: moving FloatMatrix to and from torch tensors, and choosing the device.
#include <torch/torch.h>

#include "corral/core/matrix.h"

namespace corral::detail {

// The device jobs compute on: the first CUDA device when LibTorch has one, else the CPU.
torch::Device compute_device();

// A float32 [rows, cols] tensor on `device` holding a copy of the matrix.
torch::Tensor to_tensor(const FloatMatrix& matrix, torch::Device device = torch::kCPU);
// The matrix as a float32 [rows, cols] tensor on `device` without a copy on the CPU (it reads the
// matrix's storage, which may be a read-only file mapping: never write to it; the matrix must
// outlive it); on another device a copy, as to_tensor.
torch::Tensor to_tensor_view(const FloatMatrix& matrix, torch::Device device = torch::kCPU);
// Each row scaled to unit length (a new tensor; rows of zeros stay zero).
torch::Tensor normalized_rows(const torch::Tensor& rows);
// A copy of a 2-D tensor (any device, any floating type) as a FloatMatrix.
FloatMatrix to_matrix(const torch::Tensor& tensor);

}  // namespace corral::detail
