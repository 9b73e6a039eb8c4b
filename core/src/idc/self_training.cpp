#include "idc/self_training.h"

#include <cmath>

namespace corral::detail {

torch::Tensor balanced_class_weights(const torch::Tensor& labels, std::int64_t clusters) {
    const auto counts = torch::bincount(labels, {}, clusters).to(torch::kFloat32);
    const auto inverse = torch::where(counts > 0, 1.0 / counts.clamp_min(1.0), torch::zeros_like(counts));
    const auto present = (counts > 0).sum().clamp_min(1).to(torch::kFloat32);
    return inverse * present / inverse.sum().clamp_min(1e-12);
}

PseudoLabelTable::PseudoLabelTable(std::int64_t images, std::int64_t clusters, std::int64_t cap_per_class)
    : labels_(torch::full({images}, -1, torch::kInt64)), clusters_(clusters), cap_(cap_per_class) {}

void PseudoLabelTable::admit(const torch::Tensor& samples, const torch::Tensor& probabilities, double threshold) {
    if (cap_ <= 0 || samples.numel() == 0) return;
    auto [confidence, predicted] = probabilities.to(torch::kCPU).max(1);
    const auto fresh = (labels_.index_select(0, samples) < 0) & (confidence > threshold);
    const auto candidates = fresh.nonzero().flatten();
    if (candidates.numel() == 0) return;
    const auto order = candidates.index_select(0, confidence.index_select(0, candidates).argsort(0, true));
    const auto one_hot = torch::nn::functional::one_hot(predicted.index_select(0, order), clusters_);
    const auto rank = (one_hot.cumsum(0) * one_hot).sum(1) - 1;  // among the fresh ones of its class
    const auto kept = order.masked_select(rank < cap_);
    labels_.index_put_({samples.index_select(0, kept)}, predicted.index_select(0, kept));
}

void PseudoLabelTable::seed(const torch::Tensor& samples, const torch::Tensor& labels) {
    if (samples.numel() == 0) return;
    labels_.index_put_({samples.to(torch::kCPU)}, labels.to(torch::kCPU, torch::kInt64));
}

torch::Tensor PseudoLabelTable::labels_of(const torch::Tensor& samples) const { return labels_.index_select(0, samples); }

std::int64_t PseudoLabelTable::labelled() const { return (labels_ >= 0).sum().item<std::int64_t>(); }

Status seed_lent_labels(PseudoLabelTable& table, std::span<const LentLabel> lent, std::int64_t images,
                        std::int64_t clusters) {
    std::vector<std::int64_t> samples, labels;
    samples.reserve(lent.size());
    labels.reserve(lent.size());
    for (const auto& label : lent) {
        if (label.sample < 0 || label.sample >= images || label.cluster < 0 || label.cluster >= clusters) {
            return make_error(ErrorCode::invalid_argument, "fine-tuning: a lent label is out of range");
        }
        samples.push_back(label.sample);
        labels.push_back(label.cluster);
    }
    const auto longs = torch::TensorOptions().dtype(torch::kInt64);
    table.seed(torch::tensor(samples, longs), torch::tensor(labels, longs));
    return ok();
}

std::int64_t new_labels_per_class(double fraction, std::int64_t batch, std::int64_t clusters) {
    return static_cast<std::int64_t>(std::ceil(fraction * static_cast<double>(batch) / static_cast<double>(std::max<std::int64_t>(clusters, 1))));
}

}  // namespace corral::detail
