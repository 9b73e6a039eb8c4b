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
    // For the progress only: the iterations a restart is expected to take (0: unknown, see
    // expected_kmeans_iterations). Later restarts expect what the earlier ones took.
    int expected_iterations = 0;
};

// The iterations a k-means restart of `points` points typically takes before it converges:
// 2.5 * points^(1/3), fitted to the counts measured on Fashion-MNIST's pixel features (70 000
// points: 66-109 per restart; 768: 13-17) and a 3000-image folder (29-51). For progress only.
int expected_kmeans_iterations(std::int64_t points, int max_iterations);

struct KMeansResult {
    std::vector<int> assignment;  // cluster per row, 0..clusters-1
    FloatMatrix centres;          // clusters x cols
    double inertia = 0.0;         // sum of squared distances (cosine: of normalised rows) to the centre
    int iterations = 0;           // of the winning restart
    int total_iterations = 0;     // of all restarts
};

Expected<KMeansResult> run_kmeans(const FloatMatrix& points, const KMeansParams& params, const JobContext& job = {});

}  // namespace corral
