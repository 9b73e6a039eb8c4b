#include "tensor_bridge.h"

#include <stdexcept>

namespace corral::detail {

torch::Device compute_device() {
    static const torch::Device device = torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::kCPU;
    return device;
}

torch::Tensor to_tensor_view(const FloatMatrix& matrix, torch::Device device) {
    auto view = torch::from_blob(const_cast<float*>(matrix.data()), {matrix.rows(), matrix.cols()}, torch::kFloat32);
    return device.is_cpu() ? view : view.to(device);
}

torch::Tensor to_tensor(const FloatMatrix& matrix, torch::Device device) {
    return device.is_cpu() ? to_tensor_view(matrix).clone() : to_tensor_view(matrix, device);
}

torch::Tensor normalized_rows(const torch::Tensor& rows) {
    return torch::nn::functional::normalize(rows, torch::nn::functional::NormalizeFuncOptions().dim(1));
}

FloatMatrix to_matrix(const torch::Tensor& tensor) {
    if (tensor.dim() != 2) throw std::invalid_argument("to_matrix needs a 2-D tensor");
    auto host = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    FloatMatrix matrix(host.size(0), host.size(1));
    std::copy_n(host.data_ptr<float>(), host.numel(), matrix.data());
    return matrix;
}

}  // namespace corral::detail
