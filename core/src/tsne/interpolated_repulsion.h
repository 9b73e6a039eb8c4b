#pragma once
// Private to core: t-SNE's repulsive term in 2-D. With the Cauchy kernel K(d) = 1/(1 + d^2):
//   normalisation Z = sum_{i != j} K(y_i, y_j)
//   repulsion r_i   = sum_j K(y_i, y_j)^2 (y_i - y_j)      (the gradient's repulsive part is r_i / Z)
// InterpolatedRepulsion computes both in O(N) plus FFTs, by FIt-SNE's scheme: Lagrange
// interpolation on an equispaced grid of boxes, and FFT convolution of the grid with K and K^2.
// Layouts and forces are row-major N x 2 arrays of doubles.
#include <span>

namespace corral::detail {

struct InterpolationSettings {
    int points_per_interval = 3;
    int min_intervals = 50;
    double intervals_per_unit = 1.0;
};

class InterpolatedRepulsion {
public:
    explicit InterpolatedRepulsion(InterpolationSettings settings) : settings_(settings) {}
    // Writes r into `forces` (same size as `layout`) and returns Z. Deterministic; the parallel
    // parts write disjoint outputs and the sums run in a fixed order.
    double compute(std::span<const double> layout, std::span<double> forces) const;
    // The grid's intervals per dimension it would use for this layout (for reports and tests).
    int intervals_for(std::span<const double> layout) const;

private:
    InterpolationSettings settings_;
};

// The same quantities summed over all pairs, O(N^2): the reference for tests and small inputs.
double exact_repulsion(std::span<const double> layout, std::span<double> forces);
double exact_normalisation(std::span<const double> layout);

}  // namespace corral::detail
