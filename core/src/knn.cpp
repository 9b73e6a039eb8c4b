#include "knn.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

namespace corral::detail {
namespace {

// The K best (smallest) candidates of one query row as a max-heap on distance: a candidate is
// one comparison against the current K-th best, and only about K ln(N/K) of N ever enter, so
// the scan costs one compare per distance (torch's topk costs several times more per element).
struct RowHeap {
    float* distances;
    std::int64_t* indices;
    std::int64_t size;
    std::int64_t capacity;

    float worst() const { return size < capacity ? std::numeric_limits<float>::infinity() : distances[0]; }

    void offer(float distance, std::int64_t index) {
        if (size < capacity) {
            std::int64_t child = size++;
            while (child > 0) {
                const std::int64_t parent = (child - 1) / 2;
                if (distances[parent] >= distance) break;
                distances[child] = distances[parent];
                indices[child] = indices[parent];
                child = parent;
            }
            distances[child] = distance;
            indices[child] = index;
            return;
        }
        std::int64_t parent = 0;
        for (;;) {
            std::int64_t child = 2 * parent + 1;
            if (child >= size) break;
            if (child + 1 < size && distances[child + 1] > distances[child]) ++child;
            if (distances[child] <= distance) break;
            distances[parent] = distances[child];
            indices[parent] = indices[child];
            parent = child;
        }
        distances[parent] = distance;
        indices[parent] = index;
    }
};

// Streams one [queries x references] block of partial distances into the queries' heaps.
void scan_block(const torch::Tensor& partial, std::int64_t query_begin, std::int64_t reference_begin, SelfMatch self,
                std::vector<float>& heap_distances, std::vector<std::int64_t>& heap_indices,
                std::vector<std::int64_t>& heap_sizes, std::int64_t neighbors) {
    const auto host = partial.contiguous();
    const float* values = host.data_ptr<float>();
    const std::int64_t rows = host.size(0);
    const std::int64_t cols = host.size(1);
    at::parallel_for(0, rows, 16, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t r = begin; r < end; ++r) {
            RowHeap heap{heap_distances.data() + r * neighbors, heap_indices.data() + r * neighbors,
                         heap_sizes[static_cast<std::size_t>(r)], neighbors};
            const float* row = values + r * cols;
            const std::int64_t own = query_begin + r - reference_begin;  // the query's own column, if in this block
            float worst = heap.worst();
            for (std::int64_t c = 0; c < cols; ++c) {
                if (row[c] < worst && c != own) {
                    heap.offer(row[c], reference_begin + c);
                    worst = heap.worst();
                }
            }
            if (self == SelfMatch::include && own >= 0 && own < cols) {
                // Its own distance is 0 exactly, whatever the rounding of the expanded form says:
                // offered as minus its squared norm (the row offset added back at the end).
                heap.offer(-std::numeric_limits<float>::max(), query_begin + r);
            }
            heap_sizes[static_cast<std::size_t>(r)] = heap.size;
        }
    });
}

Expected<NeighborTable> exact_on_device(const torch::Tensor& points, const torch::Tensor& norms, std::int64_t neighbors,
                                        SelfMatch self, const JobContext& job, KnnBlocks blocks) {
    // On a GPU, torch's topk is the fast path: merge each block's top K with the running one.
    const std::int64_t n = points.size(0);
    const auto infinity = std::numeric_limits<float>::infinity();
    NeighborTable table{torch::empty({n, neighbors}, points.options().dtype(torch::kInt64)),
                        torch::empty({n, neighbors}, points.options())};
    for (std::int64_t query_begin = 0; query_begin < n; query_begin += blocks.queries) {
        if (job.stop_requested()) return cancelled_error();
        const std::int64_t query_count = std::min(blocks.queries, n - query_begin);
        const auto queries = points.narrow(0, query_begin, query_count);
        auto best_distances = torch::full({query_count, neighbors}, infinity, points.options());
        auto best_indices = torch::full({query_count, neighbors}, -1, points.options().dtype(torch::kInt64));
        for (std::int64_t reference_begin = 0; reference_begin < n; reference_begin += blocks.references) {
            const std::int64_t reference_count = std::min(blocks.references, n - reference_begin);
            auto distances = torch::addmm(norms.narrow(0, reference_begin, reference_count).unsqueeze(0), queries,
                                          points.narrow(0, reference_begin, reference_count).t(), 1.0, -2.0);
            const std::int64_t overlap_begin = std::max(query_begin, reference_begin);
            const std::int64_t overlap_end = std::min(query_begin + query_count, reference_begin + reference_count);
            if (overlap_begin < overlap_end) {
                const auto rows = torch::arange(overlap_begin, overlap_end, points.options().dtype(torch::kInt64));
                const float own = self == SelfMatch::include ? -std::numeric_limits<float>::max() : infinity;
                distances.index_put_({rows - query_begin, rows - reference_begin}, torch::tensor(own, points.options()));
            }
            const std::int64_t kept = std::min(neighbors, reference_count);
            auto [block_distances, block_indices] = distances.topk(kept, 1, /*largest=*/false, /*sorted=*/false);
            auto merged_distances = torch::cat({best_distances, block_distances}, 1);
            auto merged_indices = torch::cat({best_indices, block_indices.add_(reference_begin)}, 1);
            auto [top_distances, positions] = merged_distances.topk(neighbors, 1, false, false);
            best_distances = top_distances;
            best_indices = merged_indices.gather(1, positions);
        }
        auto [sorted, order] = best_distances.sort(1);
        const auto query_norms = norms.narrow(0, query_begin, query_count).unsqueeze(1);
        table.squared_distances.narrow(0, query_begin, query_count).copy_((sorted + query_norms).clamp_min_(0.0f));
        table.indices.narrow(0, query_begin, query_count).copy_(best_indices.gather(1, order));
        job.report(static_cast<double>(query_begin + query_count) / n, "nearest neighbours");
    }
    return table;
}

Expected<NeighborTable> exact_on_cpu(const torch::Tensor& points, const torch::Tensor& norms, std::int64_t neighbors,
                                     SelfMatch self, const JobContext& job, KnnBlocks blocks) {
    const std::int64_t n = points.size(0);
    NeighborTable table{torch::empty({n, neighbors}, torch::kInt64), torch::empty({n, neighbors}, torch::kFloat32)};
    std::vector<float> heap_distances(static_cast<std::size_t>(blocks.queries * neighbors));
    std::vector<std::int64_t> heap_indices(static_cast<std::size_t>(blocks.queries * neighbors));
    std::vector<std::int64_t> heap_sizes(static_cast<std::size_t>(blocks.queries));
    for (std::int64_t query_begin = 0; query_begin < n; query_begin += blocks.queries) {
        const std::int64_t query_count = std::min(blocks.queries, n - query_begin);
        const auto queries = points.narrow(0, query_begin, query_count);
        std::fill(heap_sizes.begin(), heap_sizes.end(), 0);
        for (std::int64_t reference_begin = 0; reference_begin < n; reference_begin += blocks.references) {
            if (job.stop_requested()) return cancelled_error();
            const std::int64_t reference_count = std::min(blocks.references, n - reference_begin);
            // ||r||^2 - 2 q.r ranks the references of a query like the full distance; ||q||^2 is added at the end.
            const auto partial = torch::addmm(norms.narrow(0, reference_begin, reference_count).unsqueeze(0), queries,
                                              points.narrow(0, reference_begin, reference_count).t(), 1.0, -2.0);
            scan_block(partial, query_begin, reference_begin, self, heap_distances, heap_indices, heap_sizes, neighbors);
        }
        const auto query_norms = norms.narrow(0, query_begin, query_count).contiguous();
        auto distances = table.squared_distances.narrow(0, query_begin, query_count);
        auto indices = table.indices.narrow(0, query_begin, query_count);
        at::parallel_for(0, query_count, 64, [&](std::int64_t begin, std::int64_t end) {
            std::vector<std::pair<float, std::int64_t>> row(static_cast<std::size_t>(neighbors));
            for (std::int64_t r = begin; r < end; ++r) {
                const float offset = query_norms.data_ptr<float>()[r];
                for (std::int64_t j = 0; j < neighbors; ++j) {
                    const float partial = heap_distances[static_cast<std::size_t>(r * neighbors + j)];
                    const bool own = partial == -std::numeric_limits<float>::max();
                    row[static_cast<std::size_t>(j)] = {own ? 0.0f : std::max(0.0f, partial + offset),
                                                        heap_indices[static_cast<std::size_t>(r * neighbors + j)]};
                }
                std::sort(row.begin(), row.end());
                for (std::int64_t j = 0; j < neighbors; ++j) {
                    distances[r][j] = row[static_cast<std::size_t>(j)].first;
                    indices[r][j] = row[static_cast<std::size_t>(j)].second;
                }
            }
        });
        job.report(static_cast<double>(query_begin + query_count) / n, "nearest neighbours");
    }
    return table;
}

}  // namespace

Expected<NeighborTable> exact_nearest_neighbors(const torch::Tensor& input, std::int64_t neighbors, SelfMatch self,
                                                const JobContext& job, KnnBlocks blocks) {
    if (input.dim() != 2) return make_error(ErrorCode::invalid_argument, "nearest neighbours need a 2-D matrix");
    const std::int64_t n = input.size(0);
    const std::int64_t available = self == SelfMatch::include ? n : n - 1;
    if (blocks.queries < 1 || blocks.references < 1) return make_error(ErrorCode::invalid_argument, "empty kNN blocks");
    if (neighbors < 1 || neighbors > available) {
        return make_error(ErrorCode::invalid_argument, "cannot find " + std::to_string(neighbors) +
                                                           " nearest neighbours among " + std::to_string(n) + " points");
    }
    try {
        torch::InferenceMode inference;
        const auto points = input.to(torch::kFloat32).contiguous();
        const auto norms = (points * points).sum(1);
        auto table = points.is_cpu() ? exact_on_cpu(points, norms, neighbors, self, job, blocks)
                                     : exact_on_device(points, norms, neighbors, self, job, blocks);
        if (table && !points.is_cpu()) {
            table->indices = table->indices.cpu();
            table->squared_distances = table->squared_distances.cpu();
        }
        return table;
    } catch (const c10::Error& error) {
        return make_error(ErrorCode::internal, std::string("nearest neighbours: ") + error.what_without_backtrace());
    }
}

}  // namespace corral::detail
