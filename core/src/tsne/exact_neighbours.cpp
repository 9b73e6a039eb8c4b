#include "tsne/exact_neighbours.h"

#include <ATen/Parallel.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

namespace corral::detail {
namespace {

// Rows x columns of one score block: 512 x 8192 floats = 16 MiB, small enough to stay in cache
// levels that keep the GEMM and the scan fast, large enough to amortise the GEMM call.
constexpr std::int64_t kQueryBlock = 512;
constexpr std::int64_t kReferenceBlock = 8192;

using Candidate = std::pair<float, std::int32_t>;  // (score, index); the max-heap's top is the worst

// The first column at or after `begin` whose score is below `worst` (or `end`). Almost every
// score of a long row loses against a full heap, so the scan skips 8 columns per comparison.
std::int64_t next_candidate(const float* row, std::int64_t begin, std::int64_t end, float worst) {
    std::int64_t c = begin;
#if defined(__SSE2__)
    const __m128 threshold = _mm_set1_ps(worst);
    for (; c + 8 <= end; c += 8) {
        const __m128 low = _mm_min_ps(_mm_loadu_ps(row + c), _mm_loadu_ps(row + c + 4));
        if (_mm_movemask_ps(_mm_cmplt_ps(low, threshold)) != 0) break;
    }
#endif
    for (; c < end; ++c) {
        if (row[c] < worst) return c;
    }
    return end;
}

void sort_by_distance(const float* points, std::int64_t dimensions, std::int64_t row, std::vector<Candidate>& heap,
                      std::int32_t* indices, float* squared_distances) {
    const float* own = points + row * dimensions;
    for (auto& candidate : heap) {
        const float* other = points + static_cast<std::int64_t>(candidate.second) * dimensions;
        float sum = 0.0f;
        for (std::int64_t d = 0; d < dimensions; ++d) {
            const float difference = own[d] - other[d];
            sum += difference * difference;
        }
        candidate.first = sum;
    }
    std::sort(heap.begin(), heap.end());
    for (std::size_t j = 0; j < heap.size(); ++j) {
        indices[j] = heap[j].second;
        squared_distances[j] = heap[j].first;
    }
}

}  // namespace

Expected<NeighbourGraph> exact_neighbours(const torch::Tensor& input, int neighbours, const JobContext& job) {
    const auto points = input.to(torch::kCPU, torch::kFloat32).contiguous();
    const std::int64_t n = points.size(0);
    const std::int64_t dimensions = points.size(1);
    if (neighbours < 1 || neighbours >= n) {
        return make_error(ErrorCode::invalid_argument, "kNN: " + std::to_string(neighbours) +
                                                           " neighbours need more than that many points");
    }
    // |q|^2 is the same for the whole row, so |r|^2 - 2 q.r orders the row like the distance.
    const auto norms = (points * points).sum(1);
    const float* point_data = points.data_ptr<float>();
    const std::size_t k = static_cast<std::size_t>(neighbours);

    NeighbourGraph graph;
    graph.points = n;
    graph.neighbours = neighbours;
    graph.indices.resize(static_cast<std::size_t>(n) * k);
    graph.squared_distances.resize(static_cast<std::size_t>(n) * k);

    std::vector<std::vector<Candidate>> heaps(static_cast<std::size_t>(kQueryBlock));
    for (std::int64_t query_begin = 0; query_begin < n; query_begin += kQueryBlock) {
        if (job.stop_requested()) return cancelled_error();
        const std::int64_t query_count = std::min(kQueryBlock, n - query_begin);
        const auto queries = points.narrow(0, query_begin, query_count);
        for (std::int64_t q = 0; q < query_count; ++q) heaps[static_cast<std::size_t>(q)].clear();

        for (std::int64_t reference_begin = 0; reference_begin < n; reference_begin += kReferenceBlock) {
            const std::int64_t reference_count = std::min(kReferenceBlock, n - reference_begin);
            const auto references = points.narrow(0, reference_begin, reference_count);
            const auto scores = torch::addmm(norms.narrow(0, reference_begin, reference_count).unsqueeze(0), queries,
                                             references.t(), 1.0, -2.0)
                                    .contiguous();
            const float* score_data = scores.data_ptr<float>();
            at::parallel_for(0, query_count, 16, [&](std::int64_t begin, std::int64_t end) {
                for (std::int64_t q = begin; q < end; ++q) {
                    auto& heap = heaps[static_cast<std::size_t>(q)];
                    const float* row = score_data + q * reference_count;
                    const std::int64_t self = query_begin + q;
                    float worst = heap.size() == k ? heap.front().first : std::numeric_limits<float>::infinity();
                    // Columns arrive in increasing index order, so an equal score loses the tie.
                    for (std::int64_t c = next_candidate(row, 0, reference_count, worst); c < reference_count;
                         c = next_candidate(row, c + 1, reference_count, worst)) {
                        const std::int64_t index = reference_begin + c;
                        if (index == self) continue;
                        if (heap.size() == k) {
                            std::pop_heap(heap.begin(), heap.end());
                            heap.pop_back();
                        }
                        heap.emplace_back(row[c], static_cast<std::int32_t>(index));
                        std::push_heap(heap.begin(), heap.end());
                        if (heap.size() == k) worst = heap.front().first;
                    }
                }
            });
        }
        at::parallel_for(0, query_count, 16, [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t q = begin; q < end; ++q) {
                const std::size_t offset = static_cast<std::size_t>(query_begin + q) * k;
                sort_by_distance(point_data, dimensions, query_begin + q, heaps[static_cast<std::size_t>(q)],
                                 graph.indices.data() + offset, graph.squared_distances.data() + offset);
            }
        });
        job.report(static_cast<double>(query_begin + query_count) / static_cast<double>(n), "nearest neighbours");
    }
    return graph;
}

}  // namespace corral::detail
