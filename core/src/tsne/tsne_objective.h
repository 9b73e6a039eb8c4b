#pragma once
// Private to core: the sparse half of t-SNE's gradient and the KL divergence, for a 2-D layout
// (row-major N x 2 doubles) and the symmetric affinities P.
#include <span>

#include "tsne/affinities.h"

namespace corral::detail {

// a_i = sum_j p_ij (y_i - y_j) / (1 + |y_i - y_j|^2); in parallel over rows.
void attractive_forces(const SparseAffinities& affinities, std::span<const double> layout, std::span<double> forces);

// KL(P || Q) = sum_ij p_ij log(p_ij / q_ij) with q_ij = K(y_i, y_j) / Z; the sum runs over P's
// nonzeros (the only terms that count), so the result is as exact as the normalisation Z given.
double kl_divergence(const SparseAffinities& affinities, std::span<const double> layout, double normalisation);

}  // namespace corral::detail
