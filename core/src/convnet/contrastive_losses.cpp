#include "convnet/contrastive_losses.h"

#include <cmath>

namespace corral::detail {
namespace {

// Rows of `first` and `second` are unit vectors; positives are (i, i + n) and (i + n, i).
torch::Tensor paired_nt_xent(const torch::Tensor& first, const torch::Tensor& second, double temperature) {
    const auto n = first.size(0);
    const auto rows = torch::cat({first, second}, 0);
    auto similarity = torch::matmul(rows, rows.t()) / temperature;
    // An anchor is never its own negative.
    const auto self = torch::eye(2 * n, torch::TensorOptions().dtype(torch::kBool).device(rows.device()));
    similarity = similarity.masked_fill(self, -1e9);
    const auto range = torch::arange(n, torch::TensorOptions().dtype(torch::kLong).device(rows.device()));
    const auto targets = torch::cat({range + n, range});
    return torch::nn::functional::cross_entropy(similarity, targets);
}

}  // namespace

torch::Tensor instance_contrastive_loss(const torch::Tensor& first, const torch::Tensor& second, double temperature) {
    return paired_nt_xent(first, second, temperature);
}

torch::Tensor cluster_contrastive_loss(const torch::Tensor& first, const torch::Tensor& second, double temperature) {
    namespace F = torch::nn::functional;
    const auto options = F::NormalizeFuncOptions().dim(1);
    return paired_nt_xent(F::normalize(first.t(), options), F::normalize(second.t(), options), temperature);
}

torch::Tensor cluster_entropy_loss(const torch::Tensor& probabilities) {
    const auto clusters = probabilities.size(1);
    const auto marginal = probabilities.mean(0);
    return std::log(static_cast<double>(clusters)) + (marginal * marginal.clamp_min(1e-12).log()).sum();
}

}  // namespace corral::detail
