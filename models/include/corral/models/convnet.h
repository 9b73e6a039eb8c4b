#pragma once
// The embedded clustering network: a small residual CNN backbone, an instance projection head
// and a cluster head, trained as in contrastive clustering (CC, Li et al., AAAI 2021).
// Input: float images [batch, channels, side, side], already normalised; any device.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "corral/models/cluster_head.h"

namespace corral::models {

struct ConvnetOptions {
    std::int64_t input_channels = 1;          // 1 (grey) or 3 (RGB)
    std::int64_t input_size = 28;             // images are input_size x input_size, 28..96 px
    std::vector<std::int64_t> widths = {16, 32, 64};  // channels per residual stage; stages after the first halve the size
    std::int64_t blocks_per_stage = 1;        // residual blocks in each stage (1..4)
    // A linear layer after pooling to this many dimensions, so features are signed rather than
    // post-ReLU averages; 0 = no layer (the pooled widths.back() channels are the features).
    std::int64_t feature_dimension = 0;
    std::int64_t projection_dimension = 128;  // instance head output
    std::int64_t clusters = 10;               // cluster head output

    bool operator==(const ConvnetOptions&) const = default;  // same architecture
};

// Throws c10::Error when the options cannot make a network (sizes out of range, no stages).
void check_convnet_options(const ConvnetOptions& options);

// The width of the backbone's features: feature_dimension, or the last stage's width without the layer.
std::int64_t convnet_feature_dimension(const ConvnetOptions& options);

// Two 3x3 convolutions with batch norm and a shortcut (1x1 convolution when the shape changes).
class ResidualBlockImpl : public torch::nn::Module {
public:
    ResidualBlockImpl(std::int64_t in_channels, std::int64_t out_channels, std::int64_t stride);
    torch::Tensor forward(const torch::Tensor& input);

private:
    torch::nn::Conv2d first_conv_{nullptr};
    torch::nn::BatchNorm2d first_norm_{nullptr};
    torch::nn::Conv2d second_conv_{nullptr};
    torch::nn::BatchNorm2d second_norm_{nullptr};
    torch::nn::Conv2d shortcut_conv_{nullptr};
    torch::nn::BatchNorm2d shortcut_norm_{nullptr};
};
TORCH_MODULE(ResidualBlock);

// Residual blocks in sequence (parameter names 0.*, 1.*, ...): a stage of more than one block.
class ResidualStageImpl : public torch::nn::Module {
public:
    ResidualStageImpl(std::int64_t in_channels, std::int64_t out_channels, std::int64_t stride, std::int64_t blocks);
    torch::Tensor forward(torch::Tensor input);

private:
    std::vector<ResidualBlock> blocks_;
};
TORCH_MODULE(ResidualStage);

// Stem (3x3 convolution, stride 2 — small inputs need no more), blocks_per_stage residual blocks
// per stage, global average pooling, then the optional linear feature layer.
// Output: [batch, feature_dimension()] features.
class ConvnetBackboneImpl : public torch::nn::Module {
public:
    explicit ConvnetBackboneImpl(const ConvnetOptions& options);
    torch::Tensor forward(const torch::Tensor& images);
    std::int64_t feature_dimension() const { return feature_dimension_; }

private:
    torch::nn::Conv2d stem_conv_{nullptr};
    torch::nn::BatchNorm2d stem_norm_{nullptr};
    torch::nn::Sequential stages_{nullptr};
    torch::nn::Linear feature_layer_{nullptr};
    std::int64_t feature_dimension_ = 0;
};
TORCH_MODULE(ConvnetBackbone);

// Linear -> ReLU -> Linear to the projection space in which the instance loss compares views.
class InstanceHeadImpl : public torch::nn::Module {
public:
    InstanceHeadImpl(std::int64_t feature_dimension, std::int64_t projection_dimension);
    torch::Tensor forward(const torch::Tensor& features);  // not normalised

private:
    torch::nn::Linear hidden_{nullptr};
    torch::nn::Linear output_{nullptr};
};
TORCH_MODULE(InstanceHead);

struct ConvnetOutputs {
    torch::Tensor features;       // [batch, feature_dimension] backbone output
    torch::Tensor projections;    // [batch, projection_dimension], L2-normalised
    torch::Tensor probabilities;  // [batch, clusters], rows sum to 1
};

// The whole model. Parameter names (backbone.*, instance_head.*, cluster_head.*) are the keys of
// its checkpoint.
class ConvnetClusteringImpl : public torch::nn::Module {
public:
    explicit ConvnetClusteringImpl(const ConvnetOptions& options);
    ConvnetOutputs forward(const torch::Tensor& images);
    // Fresh weights drawn from `seed` alone (call before moving to a device): He-normal
    // convolutions, uniform(±1/sqrt(fan_in)) linear layers, unit batch norm. Equal seeds, equal models.
    void reset_parameters(std::uint64_t seed);

    ConvnetBackbone& backbone() { return backbone_; }
    InstanceHead& instance_head() { return instance_head_; }
    ClusterHead& cluster_head() { return cluster_head_; }
    const ConvnetOptions& options() const { return options_; }

private:
    ConvnetOptions options_;
    ConvnetBackbone backbone_{nullptr};
    InstanceHead instance_head_{nullptr};
    ClusterHead cluster_head_{nullptr};
};
TORCH_MODULE(ConvnetClustering);

}  // namespace corral::models
