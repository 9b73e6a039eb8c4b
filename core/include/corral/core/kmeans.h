#pragma once
// k-means with k-means++ seeding, several restarts (the lowest inertia wins) and a fixed seed,
// so the same input and parameters always give the same clustering. Euclidean, or cosine
// (spherical k-means on L2-normalised rows, centres renormalised each step).
#include <cstdint>
#include <vector>

#include "corral/core/expected.h"
#include "corral/core/job.h"
#include "corral/core/matrix.h"

namespace corral {

enum class DistanceMetric { euclidean, cosine };

struct KMeansParams {
    int clusters = 10;
    int restarts = 3;
    int max_iterations = 300;
    double tolerance = 1e-4;  // relative to the mean per-feature variance, as scikit-learn
    std::uint64_t seed = 0;
    DistanceMetric metric = DistanceMetric::euclidean;
};

struct KMeansResult {
    std::vector<int> assignment;  // cluster per row, 0..clusters-1
    FloatMatrix centres;          // clusters x cols
    double inertia = 0.0;         // sum of squared distances (cosine: of normalised rows) to the centre
    int iterations = 0;           // of the winning restart
};

Expected<KMeansResult> run_kmeans(const FloatMatrix& points, const KMeansParams& params, const JobContext& job = {});

}  // namespace corral
