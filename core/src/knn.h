#pragma once
// Private to core: exact K nearest neighbours by squared Euclidean distance, computed block by
// block (a rows x columns GEMM block at a time) with a streaming top-K, so memory stays
// O(block^2 + N*K) and no N x N matrix is ever formed. Used by value mining and t-SNE.
#include <torch/torch.h>

#include "corral/core/expected.h"
#include "corral/core/job.h"

namespace corral::detail {

enum class SelfMatch { include, exclude };

struct NeighborTable {
    torch::Tensor indices;            // int64 [N, K], nearest first (CPU)
    torch::Tensor squared_distances;  // float32 [N, K], ascending, clamped at 0
};

// Rows x columns of one distance block. The defaults (2048 x 8192 floats = 64 MiB) give an
// efficient GEMM and still sit beside the other jobs of a desktop; smaller blocks measured
// slower on a CPU (OpenBLAS's and the scan's thread pools alternate more often). Tests use
// small ones.
struct KnnBlocks {
    std::int64_t queries = 2048;
    std::int64_t references = 8192;
};

// `points` is a float32 [N, D] tensor on any device; the result is on the CPU.
// With SelfMatch::include a point is its own first neighbour (distance 0). Fails with
// invalid_argument when K is out of range, cancelled when the job is stopped.
Expected<NeighborTable> exact_nearest_neighbors(const torch::Tensor& points, std::int64_t neighbors, SelfMatch self,
                                                const JobContext& job = {}, KnnBlocks blocks = {});

}  // namespace corral::detail
