#pragma once
// Private to core: the leading principal directions for the pixels encoder, without ever forming
// a D x D matrix when D (pixels x channels) is large: `pixels:128` has D = 49152, whose
// covariance alone would take 19 GB in float64 and an eigensolver minutes that Cancel cannot
// interrupt.
//   D <= exact_limit:          eigenvectors of the D x D covariance (the classic path)
//   N <= exact_limit < D:      the N x N Gram matrix X X^T, whose eigenvectors give X's right
//                              singular vectors (exact, as the covariance path)
//   both larger:               randomized subspace iteration (Halko, Martinsson & Tropp 2011) with
//                              oversampling and power iterations, cancellable between passes
#include <torch/torch.h>

#include "corral/core/expected.h"
#include "corral/core/job.h"

namespace corral::detail {

struct PrincipalDirections {
    torch::Tensor directions;  // float64 [D, k], orthonormal columns by decreasing variance
    torch::Tensor variances;   // float64 [k], the variance of the data along each (divided by N - 1)
};

inline constexpr std::int64_t kExactPcaLimit = 2048;

// `centred`: float32 [N, D] with zero column means. k = min(components, D, N - 1).
Expected<PrincipalDirections> leading_principal_directions(const torch::Tensor& centred, std::int64_t components,
                                                           const JobContext& job,
                                                           std::int64_t exact_limit = kExactPcaLimit);

}  // namespace corral::detail
