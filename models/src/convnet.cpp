#include "corral/models/convnet.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include <string>

namespace corral::models {
namespace {

torch::nn::Conv2d make_conv(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel,
                            std::int64_t stride) {
    // No bias: every convolution is followed by batch norm, which has its own shift.
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, out_channels, kernel)
                                 .stride(stride)
                                 .padding(kernel / 2)
                                 .bias(false));
}

}  // namespace

void check_convnet_options(const ConvnetOptions& options) {
    TORCH_CHECK(options.input_channels == 1 || options.input_channels == 3, "the convnet takes 1 or 3 channels, not ",
                options.input_channels);
    TORCH_CHECK(options.input_size >= 16 && options.input_size <= 128, "the convnet input size must be 16..128 px, not ",
                options.input_size);
    TORCH_CHECK(!options.widths.empty() && options.widths.size() <= 5, "the convnet needs 1..5 stages");
    for (const auto width : options.widths) TORCH_CHECK(width >= 4 && width <= 1024, "bad stage width ", width);
    TORCH_CHECK(options.blocks_per_stage >= 1 && options.blocks_per_stage <= 4, "the convnet takes 1..4 blocks per stage, not ",
                options.blocks_per_stage);
    TORCH_CHECK(options.feature_dimension >= 0 && options.feature_dimension <= 4096, "bad feature dimension ",
                options.feature_dimension);
    TORCH_CHECK(options.projection_dimension >= 2, "bad projection dimension");
    TORCH_CHECK(options.clusters >= 2, "a clustering model needs at least two clusters");
}

std::int64_t convnet_feature_dimension(const ConvnetOptions& options) {
    return options.feature_dimension > 0 ? options.feature_dimension : options.widths.back();
}

ResidualBlockImpl::ResidualBlockImpl(std::int64_t in_channels, std::int64_t out_channels, std::int64_t stride) {
    first_conv_ = register_module("first_conv", make_conv(in_channels, out_channels, 3, stride));
    first_norm_ = register_module("first_norm", torch::nn::BatchNorm2d(out_channels));
    second_conv_ = register_module("second_conv", make_conv(out_channels, out_channels, 3, 1));
    second_norm_ = register_module("second_norm", torch::nn::BatchNorm2d(out_channels));
    if (stride != 1 || in_channels != out_channels) {
        shortcut_conv_ = register_module("shortcut_conv", make_conv(in_channels, out_channels, 1, stride));
        shortcut_norm_ = register_module("shortcut_norm", torch::nn::BatchNorm2d(out_channels));
    }
}

torch::Tensor ResidualBlockImpl::forward(const torch::Tensor& input) {
    auto output = torch::relu(first_norm_->forward(first_conv_->forward(input)));
    output = second_norm_->forward(second_conv_->forward(output));
    auto shortcut = shortcut_conv_ ? shortcut_norm_->forward(shortcut_conv_->forward(input)) : input;
    return torch::relu(output + shortcut);
}

ResidualStageImpl::ResidualStageImpl(std::int64_t in_channels, std::int64_t out_channels, std::int64_t stride,
                                     std::int64_t blocks) {
    for (std::int64_t block = 0; block < blocks; ++block) {
        blocks_.push_back(register_module(std::to_string(block), block == 0 ? ResidualBlock(in_channels, out_channels, stride)
                                                                            : ResidualBlock(out_channels, out_channels, 1)));
    }
}

torch::Tensor ResidualStageImpl::forward(torch::Tensor input) {
    for (auto& block : blocks_) input = block->forward(input);
    return input;
}

ConvnetBackboneImpl::ConvnetBackboneImpl(const ConvnetOptions& options) {
    check_convnet_options(options);
    stem_conv_ = register_module("stem_conv", make_conv(options.input_channels, options.widths.front(), 3, 2));
    stem_norm_ = register_module("stem_norm", torch::nn::BatchNorm2d(options.widths.front()));
    stages_ = torch::nn::Sequential();
    std::int64_t channels = options.widths.front();
    for (std::size_t stage = 0; stage < options.widths.size(); ++stage) {
        const auto stride = stage == 0 ? 1 : 2;
        if (options.blocks_per_stage == 1) {
            // One block is the stage itself, which keeps the parameter names of single-block models.
            stages_->push_back(ResidualBlock(channels, options.widths[stage], stride));
        } else {
            stages_->push_back(ResidualStage(channels, options.widths[stage], stride, options.blocks_per_stage));
        }
        channels = options.widths[stage];
    }
    stages_ = register_module("stages", stages_);
    if (options.feature_dimension > 0) {
        feature_layer_ = register_module("feature_layer", torch::nn::Linear(channels, options.feature_dimension));
    }
    feature_dimension_ = convnet_feature_dimension(options);
}

torch::Tensor ConvnetBackboneImpl::forward(const torch::Tensor& images) {
    auto output = torch::relu(stem_norm_->forward(stem_conv_->forward(images)));
    output = stages_->forward(output).mean({2, 3});
    return feature_layer_ ? feature_layer_->forward(output) : output;
}

InstanceHeadImpl::InstanceHeadImpl(std::int64_t feature_dimension, std::int64_t projection_dimension) {
    hidden_ = register_module("hidden", torch::nn::Linear(feature_dimension, feature_dimension));
    output_ = register_module("output", torch::nn::Linear(feature_dimension, projection_dimension));
}

torch::Tensor InstanceHeadImpl::forward(const torch::Tensor& features) {
    return output_->forward(torch::relu(hidden_->forward(features)));
}

ConvnetClusteringImpl::ConvnetClusteringImpl(const ConvnetOptions& options) : options_(options) {
    backbone_ = register_module("backbone", ConvnetBackbone(options));
    const auto dimension = backbone_->feature_dimension();
    instance_head_ = register_module("instance_head", InstanceHead(dimension, options.projection_dimension));
    cluster_head_ = register_module(
        "cluster_head", ClusterHead(ClusterHeadOptions{dimension, dimension, options.clusters}));
}

ConvnetOutputs ConvnetClusteringImpl::forward(const torch::Tensor& images) {
    ConvnetOutputs outputs;
    outputs.features = backbone_->forward(images);
    outputs.projections = torch::nn::functional::normalize(
        instance_head_->forward(outputs.features), torch::nn::functional::NormalizeFuncOptions().dim(1));
    outputs.probabilities = cluster_head_->forward(outputs.features);
    return outputs;
}

void ConvnetClusteringImpl::reset_parameters(std::uint64_t seed) {
    torch::NoGradGuard no_grad;
    auto generator = at::detail::createCPUGenerator(seed);
    for (auto& item : named_parameters(true)) {
        auto& parameter = item.value();
        const auto& name = item.key();
        const bool is_norm = name.find("norm") != std::string::npos;
        const bool is_bias = name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0;
        if (is_norm) {
            parameter.fill_(is_bias ? 0.0 : 1.0);
        } else if (parameter.dim() == 4) {
            // He initialisation on the fan-out, as torchvision's ResNet.
            const double fan_out = static_cast<double>(parameter.size(0) * parameter.size(2) * parameter.size(3));
            parameter.normal_(0.0, std::sqrt(2.0 / fan_out), generator);
        } else {
            const auto& weight = is_bias ? named_parameters(true)[name.substr(0, name.size() - 4) + "weight"] : parameter;
            const double bound = 1.0 / std::sqrt(static_cast<double>(weight.size(1)));
            parameter.uniform_(-bound, bound, generator);
        }
    }
}

}  // namespace corral::models
