// Approximate all-pairs K nearest neighbours with hnswlib's HNSW graph (knn.h states the
// contract). hnswlib 0.6.2's headers define functions and variables at namespace scope that are
// not inline, so they are included by this one file of core and nowhere else.
#include "knn.h"

#include <hnswlib/hnswlib.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <limits>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "guard.h"

namespace corral::detail {
namespace {

// The layer of the point the calling thread is inserting (see getRandomLevel below).
thread_local int inserting_layer = 0;

}  // namespace
}  // namespace corral::detail

namespace hnswlib {

// hnswlib draws each inserted point's layer from one generator that all inserting threads share
// without a lock (a data race), in whatever order the threads arrive. This specialisation, seen
// before anything here instantiates addPoint, takes the layer the inserting thread was handed
// instead: layers are drawn in index order from the seed, whatever the threads do.
template <>
int HierarchicalNSW<float>::getRandomLevel(double /*reverse_size*/) {
    return corral::detail::inserting_layer;
}

}  // namespace hnswlib

namespace corral::detail {
namespace {

#if defined(__x86_64__)
// hnswlib picks its AVX distance only when the whole build targets AVX, which a Debian build
// does not; this one is chosen at run time on processors that have AVX2 and FMA.
__attribute__((target("avx2,fma"))) float squared_distance_avx2(const void* left, const void* right,
                                                                 const void* dimensions) {
    const auto* a = static_cast<const float*>(left);
    const auto* b = static_cast<const float*>(right);
    const std::size_t count = *static_cast<const std::size_t*>(dimensions);
    __m256 sum0 = _mm256_setzero_ps();
    __m256 sum1 = _mm256_setzero_ps();
    std::size_t d = 0;
    for (; d + 16 <= count; d += 16) {
        const __m256 difference0 = _mm256_sub_ps(_mm256_loadu_ps(a + d), _mm256_loadu_ps(b + d));
        const __m256 difference1 = _mm256_sub_ps(_mm256_loadu_ps(a + d + 8), _mm256_loadu_ps(b + d + 8));
        sum0 = _mm256_fmadd_ps(difference0, difference0, sum0);
        sum1 = _mm256_fmadd_ps(difference1, difference1, sum1);
    }
    for (; d + 8 <= count; d += 8) {
        const __m256 difference = _mm256_sub_ps(_mm256_loadu_ps(a + d), _mm256_loadu_ps(b + d));
        sum0 = _mm256_fmadd_ps(difference, difference, sum0);
    }
    const __m256 sum = _mm256_add_ps(sum0, sum1);
    __m128 half = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
    half = _mm_hadd_ps(half, half);
    half = _mm_hadd_ps(half, half);
    float total = _mm_cvtss_f32(half);
    for (; d < count; ++d) {
        const float difference = a[d] - b[d];
        total += difference * difference;
    }
    return total;
}
#endif

// Squared Euclidean distance for the graph: hnswlib's own (SSE) or the AVX2 one above.
class SquaredEuclideanSpace final : public hnswlib::SpaceInterface<float> {
public:
    explicit SquaredEuclideanSpace(std::size_t dimensions) : portable_(dimensions), dimensions_(dimensions) {
        distance_ = portable_.get_dist_func();
        parameter_ = portable_.get_dist_func_param();
#if defined(__x86_64__)
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
            distance_ = squared_distance_avx2;
            parameter_ = &dimensions_;
        }
#endif
    }
    std::size_t get_data_size() override { return dimensions_ * sizeof(float); }
    hnswlib::DISTFUNC<float> get_dist_func() override { return distance_; }
    void* get_dist_func_param() override { return parameter_; }

private:
    hnswlib::L2Space portable_;
    std::size_t dimensions_;
    hnswlib::DISTFUNC<float> distance_;
    void* parameter_;
};

// Summed from coordinate differences in index order, as the exact path's final distances are.
float summed_squared_distance(const float* a, const float* b, std::int64_t dimensions) {
    float sum = 0.0f;
    for (std::int64_t d = 0; d < dimensions; ++d) {
        const float difference = a[d] - b[d];
        sum += difference * difference;
    }
    return sum;
}

// Each point's layer as hnswlib would draw it (floor(-ln U / ln M)), from `seed` in index order.
std::vector<int> draw_layers(std::int64_t count, std::int64_t links, std::uint64_t seed) {
    std::mt19937_64 generator(seed);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    const double scale = 1.0 / std::log(static_cast<double>(links));
    std::vector<int> layers(static_cast<std::size_t>(count));
    for (auto& layer : layers) layer = static_cast<int>(-std::log(1.0 - uniform(generator)) * scale);
    return layers;
}

// Runs body(first, last) over [begin, end) in chunks claimed in index order by `threads` threads,
// while the calling thread reports progress (the share of items done, mapped onto [from, to])
// at the start and every 100 ms, and passes the job's stop request on; no chunk starts after it. Returns false
// when the job was stopped. The first exception a body throws stops the others and is rethrown.
template <typename Body>
bool run_chunks(std::int64_t begin, std::int64_t end, std::int64_t chunk, int threads, const JobContext& job,
                double from, double to, std::string_view message, const Body& body) {
    std::atomic<std::int64_t> next{begin};
    std::atomic<std::int64_t> done{0};
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::condition_variable finished;
    int running = 0;
    std::exception_ptr failure;
    const auto work = [&] {
        try {
            while (!stop.load(std::memory_order_relaxed)) {
                const std::int64_t first = next.fetch_add(chunk);
                if (first >= end) break;
                const std::int64_t last = std::min(first + chunk, end);
                body(first, last);
                done.fetch_add(last - first, std::memory_order_relaxed);
            }
        } catch (...) {
            const std::lock_guard lock(mutex);
            if (!failure) failure = std::current_exception();
            stop = true;
        }
        const std::lock_guard lock(mutex);
        --running;
        finished.notify_all();
    };
    job.report(from, message);
    std::vector<std::thread> pool;
    try {
        for (int t = 0; t < threads; ++t) {
            {
                const std::lock_guard lock(mutex);
                ++running;
            }
            try {
                pool.emplace_back(work);
            } catch (...) {
                const std::lock_guard lock(mutex);
                --running;
                throw;
            }
        }
    } catch (...) {
        stop = true;
        for (auto& thread : pool) thread.join();
        throw;
    }
    bool stopped = false;
    const double total = static_cast<double>(std::max<std::int64_t>(end - begin, 1));
    {
        std::unique_lock lock(mutex);
        while (running > 0) {
            finished.wait_for(lock, std::chrono::milliseconds(100));
            lock.unlock();
            if (job.stop_requested()) {
                stopped = true;
                stop = true;
            }
            job.report(from + (to - from) * static_cast<double>(done.load()) / total, message);
            lock.lock();
        }
    }
    for (auto& thread : pool) thread.join();
    if (failure) std::rethrow_exception(failure);
    return !stopped && !job.stop_requested();
}

Expected<NeighborTable> approximate_unchecked(const torch::Tensor& input, std::int64_t neighbors, SelfMatch self,
                                              const JobContext& job, const ApproximateKnnParams& params) {
    torch::InferenceMode inference;
    const auto points = input.to(torch::kCPU, torch::kFloat32).contiguous();
    const std::int64_t n = points.size(0);
    const std::int64_t dimensions = points.size(1);
    const float* data = points.data_ptr<float>();
    // Others besides the point itself; one more is asked for, so that the point can be dropped.
    const std::int64_t searched = self == SelfMatch::include ? neighbors - 1 : neighbors;
    const std::int64_t wanted = std::min(searched + 1, n);
    const std::int64_t candidates =
        params.search_candidates > 0 ? params.search_candidates : std::max<std::int64_t>(2 * neighbors, 256);
    const int threads = params.threads > 0 ? params.threads : std::max(1, at::get_num_threads());
    // The share of the work spent inserting: each insertion searches with the construction list,
    // each query with the search list.
    const double build_share = static_cast<double>(params.construction_candidates) /
                               static_cast<double>(params.construction_candidates + candidates);
    if (job.stop_requested()) return cancelled_error();

    SquaredEuclideanSpace space(static_cast<std::size_t>(dimensions));
    hnswlib::HierarchicalNSW<float> index(&space, static_cast<std::size_t>(n), static_cast<std::size_t>(params.links),
                                          static_cast<std::size_t>(params.construction_candidates), params.seed);
    const auto layers = draw_layers(n, params.links, params.seed);
    const auto insert = [&](std::int64_t first, std::int64_t last) {
        for (std::int64_t i = first; i < last; ++i) {
            inserting_layer = layers[static_cast<std::size_t>(i)];
            index.addPoint(data + i * dimensions, static_cast<hnswlib::labeltype>(i));
        }
    };
    // The first point alone: hnswlib links every later one from it, and two threads that both
    // find the graph empty would each take themselves for its entry point.
    insert(0, 1);
    const std::string building = "approximate nearest neighbours: building the index";
    if (!run_chunks(1, n, 8, threads, job, 0.0, build_share, building, insert)) return cancelled_error();

    index.setEf(static_cast<std::size_t>(std::max(candidates, wanted)));
    NeighborTable table{torch::empty({n, neighbors}, torch::kInt64), torch::empty({n, neighbors}, torch::kFloat32)};
    auto* out_indices = table.indices.data_ptr<std::int64_t>();
    auto* out_distances = table.squared_distances.data_ptr<float>();
    const auto search = [&](std::int64_t first, std::int64_t last) {
        std::vector<std::int64_t> found;
        std::vector<std::pair<float, std::int64_t>> row;
        for (std::int64_t i = first; i < last; ++i) {
            const float* own = data + i * dimensions;
            found.clear();
            if (searched > 0) {
                auto heap = index.searchKnn(own, static_cast<std::size_t>(wanted));  // farthest on top
                for (; !heap.empty(); heap.pop()) {
                    const auto other = static_cast<std::int64_t>(heap.top().second);
                    if (other != i) found.push_back(other);
                }
            }
            row.clear();
            if (static_cast<std::int64_t>(found.size()) >= searched) {
                // Farthest first: the nearest `searched` are at the end.
                for (auto it = found.end() - searched; it != found.end(); ++it) {
                    row.emplace_back(summed_squared_distance(own, data + *it * dimensions, dimensions), *it);
                }
            } else {
                for (std::int64_t other = 0; other < n; ++other) {
                    if (other != i) row.emplace_back(summed_squared_distance(own, data + other * dimensions, dimensions), other);
                }
                std::partial_sort(row.begin(), row.begin() + searched, row.end());
                row.resize(static_cast<std::size_t>(searched));
            }
            std::sort(row.begin(), row.end());
            float* distances = out_distances + i * neighbors;
            std::int64_t* indices = out_indices + i * neighbors;
            if (self == SelfMatch::include) {
                *distances++ = 0.0f;
                *indices++ = i;
            }
            for (const auto& [distance, other] : row) {
                *distances++ = distance;
                *indices++ = other;
            }
        }
    };
    const std::string searching = "approximate nearest neighbours: searching";
    if (!run_chunks(0, n, 16, threads, job, build_share, 1.0, searching, search)) return cancelled_error();
    job.report(1.0, "approximate nearest neighbours");
    return table;
}

}  // namespace

Expected<NeighborTable> approximate_nearest_neighbors(const torch::Tensor& points, std::int64_t neighbors,
                                                      SelfMatch self, const JobContext& job,
                                                      const ApproximateKnnParams& params) {
    if (points.dim() != 2) return make_error(ErrorCode::invalid_argument, "nearest neighbours need a 2-D matrix");
    const std::int64_t n = points.size(0);
    const std::int64_t available = self == SelfMatch::include ? n : n - 1;
    if (neighbors < 1 || neighbors > available) {
        return make_error(ErrorCode::invalid_argument, "cannot find " + std::to_string(neighbors) +
                                                           " nearest neighbours among " + std::to_string(n) + " points");
    }
    if (points.size(1) < 1) return make_error(ErrorCode::invalid_argument, "nearest neighbours of points without coordinates");
    // hnswlib numbers its points with 32-bit integers.
    if (n > std::numeric_limits<std::int32_t>::max()) {
        return make_error(ErrorCode::invalid_argument, "too many points for the approximate neighbour index");
    }
    if (params.links < 2 || params.construction_candidates < 1 || params.search_candidates < 0 || params.threads < 0) {
        return make_error(ErrorCode::invalid_argument, "approximate nearest neighbours: invalid index settings");
    }
    return guarded("approximate nearest neighbours",
                   [&] { return approximate_unchecked(points, neighbors, self, job, params); });
}

}  // namespace corral::detail
