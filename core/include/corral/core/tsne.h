#pragma once
// t-SNE maps by FFT-accelerated interpolation (FIt-SNE, Linderman et al. 2019): PCA, kNN (exact,
// or approximate for large N: nearest_neighbors.h) with perplexity calibration, early
// exaggeration, then gradient descent with momentum and gains.
// Input: one row per point (any number of columns, finite values). Output: an N x 2 layout.
// The same input, parameters, seed and thread count give the same layout, bit for bit, with
// exact neighbours; the approximate index built on several threads may differ between runs in
// a few neighbours, and so the layout.
#include <cstdint>
#include <functional>
#include <vector>

#include "corral/core/expected.h"
#include "corral/core/job.h"
#include "corral/core/matrix.h"
#include "corral/core/nearest_neighbors.h"

namespace corral {

enum class TsneInitialization {
    pca,     // the first two principal components, scaled to standard deviation 1e-4 (openTSNE, sklearn)
    random,  // normal with standard deviation 1e-4, from the seed
};

struct TsneParams {
    double perplexity = 30.0;
    int neighbours = 0;  // 0 = 3 x perplexity (capped at N - 1)
    KnnMethod neighbour_method = KnnMethod::automatic;  // automatic: approximate from kApproximateKnnMinPoints
    double early_exaggeration = 12.0;
    int exaggeration_iterations = 250;
    int iterations = 750;        // in total, the exaggeration iterations included
    double learning_rate = 0.0;  // 0 = automatic: max(N / early_exaggeration, 200) (FIt-SNE, openTSNE)
    double initial_momentum = 0.5;  // during early exaggeration
    double final_momentum = 0.8;
    // No point moves farther than this in one iteration (FIt-SNE and openTSNE clip at 5 too);
    // guards the first steps after an abrupt change of forces. 0 = no limit.
    double max_step_norm = 5.0;
    TsneInitialization initialization = TsneInitialization::pca;
    std::uint64_t seed = 0;
    int pca_dimensions = 50;  // reduce to this many principal components first; 0 = never
    // Repulsion by interpolation: points per interval and the grid's intervals per dimension:
    // max(min_intervals, extent of the layout x intervals_per_unit).
    int interpolation_points = 3;
    int min_intervals = 50;
    double intervals_per_unit = 1.0;
    // Up to this many points the final KL's normalisation Z is summed exactly, in O(N^2).
    std::int64_t exact_kl_max_points = 20000;
    int layout_every = 0;  // call the layout callback every n iterations (0 = never)
};

struct TsneTimings {
    double pca_ms = 0.0;
    double neighbours_ms = 0.0;
    double affinities_ms = 0.0;
    double optimisation_ms = 0.0;
    double total_ms = 0.0;
};

struct TsneResult {
    FloatMatrix layout;  // N x 2
    // KL(P || Q) of the final layout: the sum over the sparse P is exact; Q's normalisation Z is
    // exact when the repulsion is computed exactly, otherwise the interpolated Z (as FIt-SNE).
    double kl_divergence = 0.0;
    bool kl_exact = false;
    int neighbours = 0;      // used, after capping
    double learning_rate = 0.0;  // used, after the automatic choice
    TsneTimings timings;
};

// Receives the current layout (N x 2) and the number of iterations done; called on the job's
// thread, so a receiver on another thread must copy what it needs before returning.
using TsneLayoutCallback = std::function<void(const FloatMatrix& layout, int iteration)>;

// Fails with invalid_argument on malformed input (too few points, NaN, bad parameters) and
// with cancelled when the job is stopped.
Expected<TsneResult> run_tsne(const FloatMatrix& points, const TsneParams& params, const JobContext& job = {},
                              const TsneLayoutCallback& on_layout = {});

}  // namespace corral
