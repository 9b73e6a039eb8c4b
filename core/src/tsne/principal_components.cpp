#include "tsne/principal_components.h"

#include <algorithm>

namespace corral::detail {

torch::Tensor project_on_principal_components(const torch::Tensor& points, std::int64_t components) {
    const std::int64_t dimensions = points.size(1);
    components = std::min(components, dimensions);
    const auto centred = points - points.mean(0, /*keepdim=*/true);
    // A float32 GEMM for the covariance (the costly part), then the small eigenproblem in float64.
    const auto covariance = torch::matmul(centred.t(), centred).to(torch::kFloat64) / static_cast<double>(points.size(0));
    auto [eigenvalues, eigenvectors] = torch::linalg::eigh(covariance, "L");
    // eigh sorts ascending: the leading components are the last columns.
    auto leading = eigenvectors.narrow(1, dimensions - components, components).flip({1});
    const auto largest = std::get<1>(leading.abs().max(0));
    const auto signs = leading.gather(0, largest.unsqueeze(0)).sign();
    leading = (leading * torch::where(signs == 0, torch::ones_like(signs), signs)).to(points.scalar_type());
    return torch::matmul(centred, leading);
}

}  // namespace corral::detail
