#pragma once
// Clustered synthetic features for the IDC benchmarks: `clusters` random directions with
// Gaussian spread, so that neighbours, hardness and diversity behave as on real embeddings.
#include <cstdint>
#include <random>

#include "corral/core/matrix.h"

namespace corral::bench {

struct SyntheticFeatures {
    FloatMatrix points;
    FloatMatrix centres;
};

inline SyntheticFeatures make_synthetic_features(std::int64_t rows, std::int64_t dimension, int clusters,
                                                 std::uint64_t seed = 1) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    SyntheticFeatures data{FloatMatrix(rows, dimension), FloatMatrix(clusters, dimension)};
    for (auto& value : data.centres.values()) value = normal(rng);
    // Spread comparable to the centres' own scale: clusters overlap, as real ones do.
    for (std::int64_t r = 0; r < rows; ++r) {
        const auto cluster = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(clusters));
        for (std::int64_t d = 0; d < dimension; ++d) data.points(r, d) = data.centres(cluster, d) + 1.2f * normal(rng);
    }
    return data;
}

}  // namespace corral::bench
