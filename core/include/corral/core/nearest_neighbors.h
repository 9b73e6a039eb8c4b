#pragma once
// Exact K nearest neighbours (squared Euclidean distance) of every row among all rows, by
// blocked GEMM with a streaming top-K: O(N*K) memory, never an N x N matrix.
#include <cstdint>
#include <vector>

#include "corral/core/expected.h"
#include "corral/core/job.h"
#include "corral/core/matrix.h"

namespace corral {

enum class IncludeSelf { yes, no };

struct NearestNeighbors {
    std::int64_t neighbors = 0;                // K
    std::vector<std::int64_t> indices;         // N*K, row-major, nearest first
    std::vector<float> squared_distances;      // N*K, ascending per row
};

// Fails with invalid_argument when K < 1 or there are not K candidates per row.
Expected<NearestNeighbors> find_nearest_neighbors(const FloatMatrix& points, int neighbors, IncludeSelf include_self,
                                                  const JobContext& job = {});

}  // namespace corral
