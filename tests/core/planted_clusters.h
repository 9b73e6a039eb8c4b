#pragma once
// A planted dataset for the IDC tests: well-separated Gaussian clusters around orthogonal
// directions, plus a band of boundary points between clusters 0 and 1 whose true class changes
// at t = 0.42 along the segment, not at the midpoint where nearest-centre rules put it.
#include <cstdint>
#include <random>
#include <vector>

#include "corral/core/feedback_training.h"
#include "corral/core/matrix.h"

namespace corral::testing {

struct PlantedClusters {
    FloatMatrix features;
    std::vector<int> truth;
    std::vector<char> in_band;  // 1 = a boundary point
    FloatMatrix centres;        // the planted cluster directions
};

inline PlantedClusters make_planted_clusters(int clusters = 4, int per_cluster = 300, int band = 200,
                                             int dimension = 8, std::uint64_t seed = 7) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> noise(0.0f, 0.35f);
    std::uniform_real_distribution<float> position(0.25f, 0.75f);
    PlantedClusters data;
    const std::int64_t n = static_cast<std::int64_t>(clusters) * per_cluster + band;
    data.features = FloatMatrix(n, dimension);
    data.centres = FloatMatrix(clusters, dimension);
    for (int k = 0; k < clusters; ++k) data.centres(k, k) = 1.0f;
    std::int64_t row = 0;
    for (int k = 0; k < clusters; ++k) {
        for (int i = 0; i < per_cluster; ++i, ++row) {
            for (int d = 0; d < dimension; ++d) data.features(row, d) = (d == k ? 3.0f : 0.0f) + noise(rng);
            data.truth.push_back(k);
            data.in_band.push_back(0);
        }
    }
    for (int i = 0; i < band; ++i, ++row) {
        const float t = position(rng);  // share of cluster 0
        for (int d = 0; d < dimension; ++d) {
            data.features(row, d) = (d == 0 ? 3.0f * t : 0.0f) + (d == 1 ? 3.0f * (1 - t) : 0.0f) + 0.3f * noise(rng);
        }
        data.truth.push_back(t > 0.35f ? 0 : 1);
        data.in_band.push_back(1);
    }
    return data;
}

// Trainer settings for quick tests on planted data: `clusters` clusters, 3 fit epochs (the
// trainer's minimum number of steps still applies), 5 fine-tuning epochs.
inline FeedbackTrainerParams quick_trainer_params(int clusters) {
    FeedbackTrainerParams params;
    params.clusters = clusters;
    params.initial_fit_epochs = 3;
    params.epochs = 5;
    return params;
}

}  // namespace corral::testing
