#include "tsne/tsne_objective.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace corral::detail {
namespace {

// Rows (of about 100 nonzeros each) below which a loop stays on the calling thread: parallel
// regions cost more than they save on small maps.
constexpr std::int64_t kRowGrain = 16384;

}  // namespace

void attractive_forces(const SparseAffinities& affinities, std::span<const double> layout, std::span<double> forces) {
    const auto& offsets = affinities.row_offsets;
    at::parallel_for(0, affinities.points, kRowGrain, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            const double xi = layout[static_cast<std::size_t>(2 * i)];
            const double yi = layout[static_cast<std::size_t>(2 * i + 1)];
            double fx = 0.0, fy = 0.0;
            for (std::int64_t e = offsets[static_cast<std::size_t>(i)]; e < offsets[static_cast<std::size_t>(i) + 1]; ++e) {
                const std::size_t j = static_cast<std::size_t>(affinities.columns[static_cast<std::size_t>(e)]);
                const double dx = xi - layout[2 * j];
                const double dy = yi - layout[2 * j + 1];
                const double weight = affinities.values[static_cast<std::size_t>(e)] / (1.0 + dx * dx + dy * dy);
                fx += weight * dx;
                fy += weight * dy;
            }
            forces[static_cast<std::size_t>(2 * i)] = fx;
            forces[static_cast<std::size_t>(2 * i + 1)] = fy;
        }
    });
}

double kl_divergence(const SparseAffinities& affinities, std::span<const double> layout, double normalisation) {
    const auto& offsets = affinities.row_offsets;
    std::vector<double> row_sums(static_cast<std::size_t>(affinities.points), 0.0);
    std::vector<double> row_masses(row_sums.size(), 0.0);
    at::parallel_for(0, affinities.points, kRowGrain, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            double sum = 0.0, mass = 0.0;
            for (std::int64_t e = offsets[static_cast<std::size_t>(i)]; e < offsets[static_cast<std::size_t>(i) + 1]; ++e) {
                const double p = affinities.values[static_cast<std::size_t>(e)];
                if (p <= 0.0) continue;
                const std::size_t j = static_cast<std::size_t>(affinities.columns[static_cast<std::size_t>(e)]);
                const double dx = layout[static_cast<std::size_t>(2 * i)] - layout[2 * j];
                const double dy = layout[static_cast<std::size_t>(2 * i + 1)] - layout[2 * j + 1];
                // log(p / q) = log p + log(1 + d^2) + log Z
                sum += p * (std::log(p) + std::log1p(dx * dx + dy * dy));
                mass += p;
            }
            row_sums[static_cast<std::size_t>(i)] = sum;
            row_masses[static_cast<std::size_t>(i)] = mass;
        }
    });
    double total = 0.0, mass = 0.0;
    for (std::size_t i = 0; i < row_sums.size(); ++i) {
        total += row_sums[i];
        mass += row_masses[i];
    }
    return total + mass * std::log(normalisation);
}

}  // namespace corral::detail
