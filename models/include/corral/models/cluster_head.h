#pragma once
// The cluster head of contrastive clustering (CC/TCL): Linear -> ReLU -> Linear -> softmax over C
// clusters. Input: [batch, feature_dimension] features; output: [batch, clusters] probabilities.
#include <torch/torch.h>

namespace corral::models {

struct ClusterHeadOptions {
    std::int64_t feature_dimension = 512;
    std::int64_t hidden_dimension = 512;
    std::int64_t clusters = 10;
};

class ClusterHeadImpl : public torch::nn::Module {
public:
    explicit ClusterHeadImpl(const ClusterHeadOptions& options);
    // Unnormalised scores [batch, clusters]; use these with cross-entropy for numerical stability.
    torch::Tensor logits(const torch::Tensor& features);
    // Probabilities [batch, clusters].
    torch::Tensor forward(const torch::Tensor& features);

    const ClusterHeadOptions& options() const { return options_; }

private:
    ClusterHeadOptions options_;
    torch::nn::Linear hidden_{nullptr};
    torch::nn::Linear output_{nullptr};
};
TORCH_MODULE(ClusterHead);

}  // namespace corral::models
