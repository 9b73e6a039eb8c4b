#pragma once
// K nearest neighbours (squared Euclidean distance) of every row among all rows. Below
// kApproximateKnnMinPoints rows they are exact: a tiled GEMM with a streaming top-K, O(N*K)
// memory, never an N x N matrix. At or above it the exact pass costs O(N^2 D) (about 5 x 10^14
// flops for 1M x 512, even computing each symmetric tile once), and they come from an
// approximate index (HNSW) instead, whose neighbours are nearly all the exact ones (recall@20 in
// docs/benchmarks.md); the distances reported are always the exact distances of the neighbours
// returned.
#include <cstdint>
#include <string_view>
#include <vector>

#include "corral/core/expected.h"
#include "corral/core/job.h"
#include "corral/core/matrix.h"

namespace corral {

enum class IncludeSelf { yes, no };

// automatic: exact below kApproximateKnnMinPoints rows, approximate at or above. The other two
// force one method (tests, benchmarks, comparisons).
enum class KnnMethod { automatic, exact, approximate };

// The collection size from which `automatic` uses the approximate index. Measured at 100k x 512
// on 2 cores (docs/benchmarks.md): exact 23 s, the index 109 s (recall@20 0.96); exact grows as
// N^2 and the index as about N log N, so they cross near 500k.
inline constexpr std::int64_t kApproximateKnnMinPoints = 500000;

// What `method` means for `points` rows: KnnMethod::exact or KnnMethod::approximate.
KnnMethod resolve_knn_method(KnnMethod method, std::int64_t points);
// "exact", "approximate" or "automatic".
std::string_view knn_method_name(KnnMethod method);

struct NearestNeighbors {
    std::int64_t neighbors = 0;                // K
    std::vector<std::int64_t> indices;         // N*K, row-major, nearest first
    std::vector<float> squared_distances;      // N*K, ascending per row
};

// With IncludeSelf::yes each row's first neighbour is the row itself (distance 0); with no it
// never appears (a duplicate of it may, at distance 0). Fails with invalid_argument when K < 1
// or there are not K candidates per row, cancelled when the job is stopped.
Expected<NearestNeighbors> find_nearest_neighbors(const FloatMatrix& points, int neighbors, IncludeSelf include_self,
                                                  const JobContext& job = {}, KnnMethod method = KnnMethod::automatic);

}  // namespace corral
