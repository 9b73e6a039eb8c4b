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

// The side of one square distance tile. On a CPU only the tiles on and above the diagonal are
// computed (the distances are symmetric: each off-diagonal tile feeds the heaps of its rows and
// of its columns), so the GEMM does half of N^2 D. 4096^2 floats = 64 MiB: an efficient GEMM that
// still sits beside a desktop's other jobs. Tests use small tiles.
struct KnnBlocks {
    std::int64_t side = 4096;
};

// `points` is a float32 [N, D] tensor on any device; the result is on the CPU.
// With SelfMatch::include a point is its own first neighbour (distance 0). Fails with
// invalid_argument when K is out of range, cancelled when the job is stopped.
Expected<NeighborTable> exact_nearest_neighbors(const torch::Tensor& points, std::int64_t neighbors, SelfMatch self,
                                                const JobContext& job = {}, KnnBlocks blocks = {});

}  // namespace corral::detail
