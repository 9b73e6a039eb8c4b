#pragma once
// Private to core: t-SNE's input similarities. Gaussian conditional affinities p(j|i) over each
// point's neighbours, with the bandwidth found by binary search so the entropy matches the
// perplexity; then the symmetric joint P = (P + P^T) / (2N) as a sparse matrix.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "corral/core/expected.h"
#include "corral/core/job.h"
#include "corral/core/nearest_neighbors.h"

namespace corral::detail {

struct NeighbourGraph {
    std::int64_t points = 0;
    int neighbours = 0;
    // Row-major points x neighbours, nearest first; ties broken by the smaller index. A point is
    // never its own neighbour.
    std::vector<std::int32_t> indices;
    std::vector<float> squared_distances;  // summed from the coordinate differences
};

// The kNN graph of float32 [N, D] points, N > neighbours, by squared Euclidean distance: exact
// (core's blocked-GEMM kNN) or from the approximate index, as `method` chooses (knn.h). Fails
// with invalid_argument or cancelled.
Expected<NeighbourGraph> neighbour_graph(const torch::Tensor& points, int neighbours, const JobContext& job,
                                         KnnMethod method = KnnMethod::automatic);

// Compressed sparse rows; columns ascending within a row; values sum to 1 over the matrix.
struct SparseAffinities {
    std::int64_t points = 0;
    std::vector<std::int64_t> row_offsets;  // points + 1
    std::vector<std::int32_t> columns;
    std::vector<float> values;
};

// p(j|i) for each entry of the graph, row-major like graph.indices; each row sums to 1.
// Binary search per point over the precision (tolerance 1e-5 in entropy, at most 100 steps, as
// scikit-learn), in parallel.
std::vector<double> conditional_affinities(const NeighbourGraph& graph, double perplexity);

SparseAffinities symmetrise(const NeighbourGraph& graph, const std::vector<double>& conditional);

}  // namespace corral::detail
