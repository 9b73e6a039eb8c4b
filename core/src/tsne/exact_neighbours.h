#pragma once
// Private to core: exact k nearest neighbours by blocked GEMM with a streaming top-k per row.
// (A t-SNE-local copy; the lead unifies it with core's shared kNN.)
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "corral/core/expected.h"
#include "corral/core/job.h"

namespace corral::detail {

struct NeighbourGraph {
    std::int64_t points = 0;
    int neighbours = 0;
    // Row-major points x neighbours, nearest first; ties broken by the smaller index. A point is
    // never its own neighbour.
    std::vector<std::int32_t> indices;
    std::vector<float> squared_distances;  // recomputed from the differences, not the GEMM
};

// `points`: float32 [N, D] on the CPU, N > neighbours. Squared Euclidean distance.
Expected<NeighbourGraph> exact_neighbours(const torch::Tensor& points, int neighbours, const JobContext& job);

}  // namespace corral::detail
