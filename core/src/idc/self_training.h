#pragma once
// Private to core: the self-training parts of IDC's L_reg shared by the head and the network
// fine-tuning (the reference recipe): a per-sample pseudo-label table that persists over one
// fine-tune, filled from clean-view predictions above tau with at most `cap` new labels per class
// and step (most confident first), and class-balanced loss weights.
#include <torch/torch.h>

#include <cstdint>
#include <span>

#include "corral/core/answer_propagation.h"
#include "corral/core/expected.h"

namespace corral::detail {

// Weights that make each class count alike: C_present * n_c^-1 / sum_k n_k^-1 over the classes
// present in `labels` (int64); absent classes get 0. Float [clusters] on the labels' device.
torch::Tensor balanced_class_weights(const torch::Tensor& labels, std::int64_t clusters);

class PseudoLabelTable {
public:
    // `images` samples, all unlabelled (-1); `cap_per_class` new labels per class and admit().
    PseudoLabelTable(std::int64_t images, std::int64_t clusters, std::int64_t cap_per_class);
    // samples: image indices [B] (int64, CPU); probabilities: their clean-view predictions [B, C].
    // An image keeps the first label it earns.
    void admit(const torch::Tensor& samples, const torch::Tensor& probabilities, double threshold);
    // Fixed labels from the start (answers lent to neighbours): samples int64 [B], labels int64
    // [B] in [0, C). They are never replaced and do not count against the cap.
    void seed(const torch::Tensor& samples, const torch::Tensor& labels);
    torch::Tensor labels_of(const torch::Tensor& samples) const;  // int64 [B], -1 = none yet
    std::int64_t labelled() const;

private:
    torch::Tensor labels_;
    std::int64_t clusters_;
    std::int64_t cap_;
};

// Seeds `table` (for `images` samples and `clusters` clusters) with lent labels; invalid_argument
// for one out of range. Answered images never enter the unlabelled batches, so a seed on one of
// them is inert.
Status seed_lent_labels(PseudoLabelTable& table, std::span<const LentLabel> lent, std::int64_t images,
                        std::int64_t clusters);

// The reference's cap: ceil(fraction * batch / clusters).
std::int64_t new_labels_per_class(double fraction, std::int64_t batch, std::int64_t clusters);

}  // namespace corral::detail
