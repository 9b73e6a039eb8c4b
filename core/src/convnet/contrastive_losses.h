#pragma once
// Private to core: the objectives of contrastive clustering (CC, Li et al., AAAI 2021).
#include <torch/torch.h>

namespace corral::detail {

// NT-Xent over 2N rows: row i of `first` and row i of `second` (two views of one image, already
// L2-normalised) are positives, all other rows negatives. Mean over the 2N anchors.
torch::Tensor instance_contrastive_loss(const torch::Tensor& first, const torch::Tensor& second, double temperature);

// CC's cluster-level loss: NT-Xent over the C cluster columns of [N, C] probabilities of the two
// views (each column normalised to unit length), cluster k of one view paired with k of the other.
torch::Tensor cluster_contrastive_loss(const torch::Tensor& first, const torch::Tensor& second, double temperature);

// log C − H(mean of the rows of [N, C] probabilities): 0 when the batch is spread evenly over the
// clusters, log C when all of it falls in one — the term against degenerate clusterings.
torch::Tensor cluster_entropy_loss(const torch::Tensor& probabilities);

}  // namespace corral::detail
