#pragma once
// Private to core: K nearest neighbours by squared Euclidean distance of every row among all
// rows, for value mining's representativeness, t-SNE's graph and find_nearest_neighbors.
//   exact:       computed tile by tile (a square GEMM tile at a time; on a CPU only the tiles on
//                and above the diagonal) with a streaming top-K, so memory stays
//                O(tile^2 + N*K) and no N x N matrix is formed; O(N^2 D) time.
//   approximate: an HNSW graph (hnswlib), built by inserting every row and then searched once per
//                row; about O(N log N) distance evaluations, memory a copy of the points plus
//                about 2M links per point.
//   nearest_neighbors() chooses between them by the number of rows.
#include <torch/torch.h>

#include <cstdint>

#include "corral/core/expected.h"
#include "corral/core/job.h"
#include "corral/core/nearest_neighbors.h"

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

// The HNSW index's settings. On bench_approximate_knn's clustered features normalised to unit
// length (isotropic clusters in 512 dimensions: a hard case, real embeddings have far fewer
// effective dimensions), measured with Debian's python3-hnswlib, one thread: M = 24, ef_c = 100
// reached recall@20 0.989 on 30k at ef = 128 and 0.956 on 100k at ef = 256, where M = 16,
// ef_c = 200 (hnswlib's defaults) reached 0.979 and 0.936 with a construction list twice as
// long (docs/benchmarks.md). A larger search list buys recall with search time, about linearly.
struct ApproximateKnnParams {
    std::int64_t links = 24;                    // M: links per point and layer (2M on the bottom layer)
    std::int64_t construction_candidates = 100;  // ef_construction: candidate list while inserting
    std::int64_t search_candidates = 0;         // ef: candidate list while searching; 0 = max(2 K, 256)
    std::uint64_t seed = 100;                   // draws each point's layer
    int threads = 0;                            // 0 = LibTorch's intra-op thread count
};

// The same contract as exact_nearest_neighbors, except that a few of a row's true neighbours
// may be missing, replaced by the next nearest ones the search found. The distances are summed
// from coordinate differences for the neighbours returned; rows are sorted by distance, ties by
// index; SelfMatch is decided by index, so a duplicate of a point at distance 0 is an ordinary
// neighbour (never mistaken for the point itself). A row whose search finds too few candidates
// (a graph cut off by many duplicates) is completed by an exact scan of all points.
// Rows are inserted and searched on `threads` threads; the job's stop request is honoured
// within a few milliseconds of insertion or search work, and progress is reported from the
// caller's thread. Each point's layer is drawn from `seed` in index order, so with one thread
// the result is the same on every run; with several, the graph depends on the order in which
// the threads insert, and so may a few neighbours.
Expected<NeighborTable> approximate_nearest_neighbors(const torch::Tensor& points, std::int64_t neighbors,
                                                      SelfMatch self, const JobContext& job = {},
                                                      const ApproximateKnnParams& params = {});

struct KnnOptions {
    KnnMethod method = KnnMethod::automatic;
    std::int64_t approximate_min_points = kApproximateKnnMinPoints;  // where automatic switches
    KnnBlocks blocks;
    ApproximateKnnParams approximate;
};

// exact or approximate for `points` rows under `options`.
KnnMethod chosen_knn_method(std::int64_t points, const KnnOptions& options);

// The one entry point for core's all-pairs neighbours: exact_nearest_neighbors or
// approximate_nearest_neighbors, as chosen_knn_method says. Progress messages name the method.
Expected<NeighborTable> nearest_neighbors(const torch::Tensor& points, std::int64_t neighbors, SelfMatch self,
                                          const JobContext& job = {}, const KnnOptions& options = {});

}  // namespace corral::detail
