#include "encoders/pixel_pca.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>

namespace corral::detail {
namespace {

constexpr int kPowerIterations = 5;
constexpr std::uint64_t kSketchSeed = 0x5eed;

// Columns sorted by decreasing eigenvalue, the top `kept`.
PrincipalDirections leading(const torch::Tensor& eigenvalues, const torch::Tensor& eigenvectors, std::int64_t kept,
                            double divisor) {
    // eigh sorts ascending: the principal components are the last columns.
    const auto values = eigenvalues.flip(0).narrow(0, 0, kept).clamp_min(0);
    const auto vectors = eigenvectors.flip(1).narrow(1, 0, kept);
    return {vectors.contiguous(), (values / divisor).contiguous()};
}

// Right singular vectors of X from the eigenvectors U of G = X X^T: v = X^T u / sqrt(lambda).
// A direction of (numerically) zero variance has no such vector; it is left zero, so the data's
// projection on it is zero, as it is on any direction without variance.
torch::Tensor right_vectors(const torch::Tensor& x, const torch::Tensor& gram_values, const torch::Tensor& gram_vectors) {
    const double largest = gram_values.numel() ? gram_values.max().item<double>() : 0.0;
    const auto usable = gram_values > std::max(largest * 1e-10, 1e-30);
    const auto scale = torch::where(usable, gram_values.clamp_min(1e-30).rsqrt(), torch::zeros_like(gram_values));
    return x.t().to(torch::kFloat64).mm(gram_vectors) * scale.unsqueeze(0);
}

}  // namespace

Expected<PrincipalDirections> leading_principal_directions(const torch::Tensor& centred, std::int64_t components,
                                                           const JobContext& job, std::int64_t exact_limit) {
    const std::int64_t n = centred.size(0);
    const std::int64_t d = centred.size(1);
    const std::int64_t kept = std::min<std::int64_t>({components, d, std::max<std::int64_t>(1, n - 1)});
    const double divisor = static_cast<double>(std::max<std::int64_t>(1, n - 1));
    if (d <= exact_limit) {
        // A float32 GEMM for the covariance (the costly part), then the eigenproblem in float64.
        const auto covariance = centred.t().mm(centred).div_(divisor).to(torch::kFloat64);
        auto [values, vectors] = torch::linalg::eigh(covariance, "L");
        return leading(values, vectors, kept, 1.0);
    }
    if (n <= exact_limit) {
        const auto gram = centred.mm(centred.t()).to(torch::kFloat64);
        auto [values, vectors] = torch::linalg::eigh(gram, "L");
        const auto top = leading(values, vectors, kept, 1.0);
        return PrincipalDirections{right_vectors(centred, top.variances, top.directions).contiguous(),
                                   (top.variances / divisor).contiguous()};
    }
    // Randomized subspace iteration on an l-column sketch: l = k + oversampling, each pass two
    // [N, D] x [D, l] products, QR between passes so the columns stay independent.
    const std::int64_t sketch = std::min<std::int64_t>({kept + std::max<std::int64_t>(16, kept / 4), n, d});
    auto generator = at::detail::createCPUGenerator(kSketchSeed);
    const auto omega = torch::randn({d, sketch}, generator, torch::kFloat32).to(centred.device());
    auto basis = std::get<0>(torch::linalg::qr(centred.mm(omega)));
    for (int pass = 0; pass < kPowerIterations; ++pass) {
        if (job.stop_requested()) return cancelled_error();
        job.report(static_cast<double>(pass) / kPowerIterations, "fitting PCA");
        const auto across = std::get<0>(torch::linalg::qr(centred.t().mm(basis)));
        basis = std::get<0>(torch::linalg::qr(centred.mm(across)));
    }
    if (job.stop_requested()) return cancelled_error();
    // B = Q^T X is [l, D]; its right singular vectors, from the l x l Gram matrix B B^T, are the
    // principal directions within the sketch.
    const auto small = basis.t().mm(centred);
    const auto gram = small.mm(small.t()).to(torch::kFloat64);
    auto [values, vectors] = torch::linalg::eigh(gram, "L");
    const auto top = leading(values, vectors, kept, 1.0);
    return PrincipalDirections{right_vectors(small, top.variances, top.directions).contiguous(),
                               (top.variances / divisor).contiguous()};
}

}  // namespace corral::detail
