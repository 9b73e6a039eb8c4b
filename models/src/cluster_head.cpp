#include "corral/models/cluster_head.h"

namespace corral::models {

ClusterHeadImpl::ClusterHeadImpl(const ClusterHeadOptions& options) : options_(options) {
    TORCH_CHECK(options.clusters >= 2, "a cluster head needs at least two clusters");
    hidden_ = register_module("hidden", torch::nn::Linear(options.feature_dimension, options.hidden_dimension));
    output_ = register_module("output", torch::nn::Linear(options.hidden_dimension, options.clusters));
}

torch::Tensor ClusterHeadImpl::logits(const torch::Tensor& features) {
    return output_->forward(torch::relu(hidden_->forward(features)));
}

torch::Tensor ClusterHeadImpl::forward(const torch::Tensor& features) { return torch::softmax(logits(features), 1); }

}  // namespace corral::models
