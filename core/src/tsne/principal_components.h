#pragma once
// Private to core: projection onto the leading principal components (centred data, eigenvectors
// of the covariance). Each component's sign makes its largest loading positive, so the result
// does not depend on the eigensolver's sign convention.
#include <torch/torch.h>

namespace corral::detail {

// `points`: float [N, D] on any device. Returns float [N, min(components, D)] on the same device.
torch::Tensor project_on_principal_components(const torch::Tensor& points, std::int64_t components);

}  // namespace corral::detail
