#include "knn.h"

#include <ATen/Parallel.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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
    std::int32_t* indices;
    std::int64_t size;
    std::int64_t capacity;

    float worst() const { return size < capacity ? std::numeric_limits<float>::infinity() : distances[0]; }

    void offer(float distance, std::int32_t index) {
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

// Every point's K best candidates so far. Indices are 32-bit: at a million points and K = 90
// the heaps are the largest allocation of the kNN.
struct Heaps {
    std::vector<float> distances;
    std::vector<std::int32_t> indices;
    std::vector<std::int64_t> sizes;
    std::int64_t capacity = 0;

    Heaps(std::int64_t points, std::int64_t neighbors)
        : distances(static_cast<std::size_t>(points * neighbors)), indices(distances.size()),
          sizes(static_cast<std::size_t>(points)), capacity(neighbors) {}

    RowHeap of(std::int64_t point) {
        return {distances.data() + point * capacity, indices.data() + point * capacity,
                sizes[static_cast<std::size_t>(point)], capacity};
    }
    void keep(std::int64_t point, const RowHeap& heap) { sizes[static_cast<std::size_t>(point)] = heap.size; }
};

// The first column at or after `begin` whose score norms[c] + dots[c] is below `worst` (or
// `end`). Almost every score of a long row loses against a full heap, so the scan tests 8
// columns per comparison.
std::int64_t next_candidate(const float* dots, const float* norms, std::int64_t begin, std::int64_t end, float worst) {
    std::int64_t c = begin;
#if defined(__SSE2__)
    const __m128 threshold = _mm_set1_ps(worst);
    for (; c + 8 <= end; c += 8) {
        const __m128 low = _mm_min_ps(_mm_add_ps(_mm_loadu_ps(norms + c), _mm_loadu_ps(dots + c)),
                                      _mm_add_ps(_mm_loadu_ps(norms + c + 4), _mm_loadu_ps(dots + c + 4)));
        if (_mm_movemask_ps(_mm_cmplt_ps(low, threshold)) != 0) break;
    }
#endif
    for (; c < end; ++c) {
        if (norms[c] + dots[c] < worst) return c;
    }
    return end;
}

// One tile of -2 p_i.p_j (rows from `row_begin`, columns from `column_begin`) streamed into
// its rows' heaps, scored |p_j|^2 - 2 p_i.p_j (a point's own |p_i|^2 does not change its
// ranking). A point's own column never enters: with SelfMatch::include it is added once,
// exactly, at the end.
void scan_rows(const float* tile, std::int64_t rows, std::int64_t columns, const float* column_norms,
               std::int64_t row_begin, std::int64_t column_begin, Heaps& heaps) {
    at::parallel_for(0, rows, 16, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t r = begin; r < end; ++r) {
            RowHeap heap = heaps.of(row_begin + r);
            const float* row = tile + r * columns;
            const std::int64_t own = row_begin + r - column_begin;  // the point's own column, if in this tile
            float worst = heap.worst();
            for (std::int64_t c = next_candidate(row, column_norms, 0, columns, worst); c < columns;
                 c = next_candidate(row, column_norms, c + 1, columns, worst)) {
                if (c == own) continue;
                heap.offer(column_norms[c] + row[c], static_cast<std::int32_t>(column_begin + c));
                worst = heap.worst();
            }
            heaps.keep(row_begin + r, heap);
        }
    });
}

// The same tile read by columns, for the heaps of the column points (the tile below the
// diagonal that would hold them is never computed). Strips of 16 columns: each row of a strip
// is one cache line, compared with the 16 columns' current worst at once.
void scan_columns(const float* tile, std::int64_t rows, std::int64_t columns, const float* row_norms,
                  std::int64_t row_begin, std::int64_t column_begin, Heaps& heaps) {
    constexpr std::int64_t strip = 16;
    const std::int64_t strips = (columns + strip - 1) / strip;
    at::parallel_for(0, strips, 1, [&](std::int64_t first_strip, std::int64_t last_strip) {
        for (std::int64_t s = first_strip; s < last_strip; ++s) {
            const std::int64_t first = s * strip;
            const std::int64_t width = std::min(strip, columns - first);
            RowHeap heap[strip];
            alignas(16) float worst[strip];
            for (std::int64_t l = 0; l < strip; ++l) {
                worst[l] = -std::numeric_limits<float>::infinity();  // lanes past the tile's edge take nothing
                if (l < width) {
                    heap[l] = heaps.of(column_begin + first + l);
                    worst[l] = heap[l].worst();
                }
            }
            for (std::int64_t r = 0; r < rows; ++r) {
                const float* values = tile + r * columns + first;
                const float norm = row_norms[r];
#if defined(__SSE2__)
                if (width == strip) {
                    const __m128 shift = _mm_set1_ps(norm);
                    int hits = 0;
                    for (int q = 0; q < 4; ++q) {
                        const __m128 score = _mm_add_ps(_mm_loadu_ps(values + 4 * q), shift);
                        hits |= _mm_movemask_ps(_mm_cmplt_ps(score, _mm_load_ps(worst + 4 * q))) << (4 * q);
                    }
                    if (hits == 0) continue;
                }
#endif
                for (std::int64_t l = 0; l < width; ++l) {
                    const float score = values[l] + norm;
                    if (score < worst[l]) {
                        heap[l].offer(score, static_cast<std::int32_t>(row_begin + r));
                        worst[l] = heap[l].worst();
                    }
                }
            }
            for (std::int64_t l = 0; l < width; ++l) heaps.keep(column_begin + first + l, heap[l]);
        }
    });
}

// Replaces each kept candidate's expanded-form score by its squared distance summed from the
// coordinate differences (the expansion loses digits to cancellation when |q| >> |q - r|), and
// sorts each row: the query itself first (when included), then by distance, ties by index.
void finish_rows(const float* points, std::int64_t dimensions, std::int64_t count, std::int64_t neighbors,
                 std::int64_t found, SelfMatch self, const std::vector<std::int32_t>& heap_indices, float* distances,
                 std::int64_t* indices) {
    at::parallel_for(0, count, 64, [&](std::int64_t begin, std::int64_t end) {
        std::vector<std::pair<float, std::int64_t>> row(static_cast<std::size_t>(found));
        for (std::int64_t r = begin; r < end; ++r) {
            const std::int64_t query = r;
            const float* own = points + query * dimensions;
            for (std::int64_t j = 0; j < found; ++j) {
                const std::int64_t other = heap_indices[static_cast<std::size_t>(r * found + j)];
                const float* coordinates = points + other * dimensions;
                float sum = 0.0f;
                for (std::int64_t d = 0; d < dimensions; ++d) {
                    const float difference = own[d] - coordinates[d];
                    sum += difference * difference;
                }
                row[static_cast<std::size_t>(j)] = {sum, other};
            }
            std::sort(row.begin(), row.end());
            float* out_distances = distances + r * neighbors;
            std::int64_t* out_indices = indices + r * neighbors;
            if (self == SelfMatch::include) {
                *out_distances++ = 0.0f;
                *out_indices++ = query;
            }
            for (std::int64_t j = 0; j < found; ++j) {
                out_distances[j] = row[static_cast<std::size_t>(j)].first;
                out_indices[j] = row[static_cast<std::size_t>(j)].second;
            }
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
    for (std::int64_t query_begin = 0; query_begin < n; query_begin += blocks.side) {
        if (job.stop_requested()) return cancelled_error();
        const std::int64_t query_count = std::min(blocks.side, n - query_begin);
        const auto queries = points.narrow(0, query_begin, query_count);
        auto best_distances = torch::full({query_count, neighbors}, infinity, points.options());
        auto best_indices = torch::full({query_count, neighbors}, -1, points.options().dtype(torch::kInt64));
        for (std::int64_t reference_begin = 0; reference_begin < n; reference_begin += blocks.side) {
            const std::int64_t reference_count = std::min(blocks.side, n - reference_begin);
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
        job.report(static_cast<double>(query_begin + query_count) / n, "exact nearest neighbours");
    }
    return table;
}

Expected<NeighborTable> exact_on_cpu(const torch::Tensor& points, const torch::Tensor& norms, std::int64_t neighbors,
                                     SelfMatch self, const JobContext& job, KnnBlocks blocks) {
    const std::int64_t n = points.size(0);
    if (n > std::numeric_limits<std::int32_t>::max()) {
        return make_error(ErrorCode::invalid_argument, "nearest neighbours: too many points for 32-bit indices");
    }
    const std::int64_t searched = self == SelfMatch::include ? neighbors - 1 : neighbors;
    NeighborTable table{torch::empty({n, neighbors}, torch::kInt64), torch::empty({n, neighbors}, torch::kFloat32)};
    Heaps heaps(n, searched);
    const std::int64_t side = std::min(blocks.side, n);
    // One reused buffer for the products (a fresh 64 MiB tensor per tile costs page faults),
    // and a plain product: with t-SNE's inner dimension of 50 the GEMM is bound by writing its
    // output, and a bias would make it read the output too (measured 1.2x slower).
    auto buffer = torch::empty({side, side}, torch::kFloat32);
    const auto scaled = points * -2.0f;  // exact: a power of 2
    const float* norm_data = norms.data_ptr<float>();
    const std::int64_t tiles = (n + side - 1) / side;
    const double tile_pairs = static_cast<double>(tiles) * static_cast<double>(tiles + 1) / 2.0;
    std::int64_t done = 0;
    for (std::int64_t row_tile = 0; searched > 0 && row_tile < tiles; ++row_tile) {
        const std::int64_t row_begin = row_tile * side;
        const std::int64_t row_count = std::min(side, n - row_begin);
        const auto rows = points.narrow(0, row_begin, row_count);
        for (std::int64_t column_tile = row_tile; column_tile < tiles; ++column_tile) {
            if (job.stop_requested()) return cancelled_error();
            const std::int64_t column_begin = column_tile * side;
            const std::int64_t column_count = std::min(side, n - column_begin);
            auto dots = torch::from_blob(buffer.data_ptr<float>(), {row_count, column_count}, torch::kFloat32);
            torch::mm_out(dots, rows, scaled.narrow(0, column_begin, column_count).t());
            const float* tile = dots.data_ptr<float>();
            scan_rows(tile, row_count, column_count, norm_data + column_begin, row_begin, column_begin, heaps);
            if (column_tile != row_tile) {
                scan_columns(tile, row_count, column_count, norm_data + row_begin, row_begin, column_begin, heaps);
            }
            job.report(static_cast<double>(++done) / tile_pairs, "exact nearest neighbours");
        }
    }
    finish_rows(points.data_ptr<float>(), points.size(1), n, neighbors, searched, self, heaps.indices,
                table.squared_distances.data_ptr<float>(), table.indices.data_ptr<std::int64_t>());
    return table;
}

}  // namespace

Expected<NeighborTable> exact_nearest_neighbors(const torch::Tensor& input, std::int64_t neighbors, SelfMatch self,
                                                const JobContext& job, KnnBlocks blocks) {
    if (input.dim() != 2) return make_error(ErrorCode::invalid_argument, "nearest neighbours need a 2-D matrix");
    const std::int64_t n = input.size(0);
    const std::int64_t available = self == SelfMatch::include ? n : n - 1;
    if (blocks.side < 1) return make_error(ErrorCode::invalid_argument, "empty kNN tiles");
    if (neighbors < 1 || neighbors > available) {
        return make_error(ErrorCode::invalid_argument, "cannot find " + std::to_string(neighbors) +
                                                           " nearest neighbours among " + std::to_string(n) + " points");
    }
    try {
        torch::InferenceMode inference;
        // Centred: distances do not change, and the expanded form's cancellation shrinks with |q|.
        auto points = input.to(torch::kFloat32);
        points = (points - points.mean(0, /*keepdim=*/true)).contiguous();
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

namespace corral::detail {

KnnMethod chosen_knn_method(std::int64_t points, const KnnOptions& options) {
    if (options.method != KnnMethod::automatic) return options.method;
    return points >= options.approximate_min_points ? KnnMethod::approximate : KnnMethod::exact;
}

Expected<NeighborTable> nearest_neighbors(const torch::Tensor& points, std::int64_t neighbors, SelfMatch self,
                                          const JobContext& job, const KnnOptions& options) {
    const std::int64_t rows = points.dim() > 0 ? points.size(0) : 0;
    if (chosen_knn_method(rows, options) == KnnMethod::approximate) {
        return approximate_nearest_neighbors(points, neighbors, self, job, options.approximate);
    }
    return exact_nearest_neighbors(points, neighbors, self, job, options.blocks);
}

}  // namespace corral::detail
