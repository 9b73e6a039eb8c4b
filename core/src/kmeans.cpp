#include "corral/core/kmeans.h"

#include <torch/torch.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "guard.h"
#include "squared_distance_kernel.h"
#include "tensor_bridge.h"

namespace corral {
namespace {

constexpr std::int64_t kRowBlock = 16384;  // bounds the rows x clusters distance block in memory

struct Assignment {
    torch::Tensor labels;     // int64 [N]
    torch::Tensor distances;  // float [N], squared distance to the assigned centre
    torch::Tensor sums;       // float [K, D], the points of each cluster summed (CPU only, else undefined)
};

constexpr std::int64_t kCpuChunk = 512;  // rows per single-threaded pass: its distances stay in L2

// Calls visit(first_row, rows, squared) for consecutive chunks of rows [begin, end), `squared`
// the rows x targets squared distances (row-major, clamped at 0), on the calling thread
// (callers spread the ranges over the intra-op threads with at::parallel_for). On a CPU this
// replaces torch::addmm: a skinny product (K of 10) hands every call to OpenBLAS's thread pool,
// and alternating that pool with the OpenMP one left both spinning (measured: 208 ms per Lloyd
// iteration on 70k x 128, two thirds of it in libgomp's spin-wait).
template <typename Visit>
void for_each_distance_chunk(const torch::Tensor& points, const torch::Tensor& point_norms, const torch::Tensor& targets,
                             const torch::Tensor& target_norms, std::int64_t begin, std::int64_t end, Visit visit) {
    const std::int64_t count = targets.size(0);
    const std::int64_t dimensions = points.size(1);
    const float* point_data = points.data_ptr<float>();
    const float* norm_data = point_norms.data_ptr<float>();
    std::vector<float> squared(static_cast<std::size_t>(kCpuChunk * count));
    for (std::int64_t first = begin; first < end; first += kCpuChunk) {
        const std::int64_t rows = std::min(kCpuChunk, end - first);
        detail::squared_distances_to_targets(point_data + first * dimensions, norm_data + first, rows,
                                             targets.data_ptr<float>(), target_norms.data_ptr<float>(), count,
                                             dimensions, squared.data());
        visit(first, rows, static_cast<const float*>(squared.data()));
    }
}

// N x targets squared distances (float32, clamped at 0).
torch::Tensor squared_distances(const torch::Tensor& points, const torch::Tensor& point_norms, const torch::Tensor& targets) {
    const auto target_norms = (targets * targets).sum(1).contiguous();
    if (!points.is_cpu()) {
        return torch::addmm(point_norms.unsqueeze(1) + target_norms.unsqueeze(0), points, targets.t(), 1.0, -2.0).clamp_min_(0);
    }
    const auto target_rows = targets.contiguous();
    auto result = torch::empty({points.size(0), targets.size(0)}, points.options());
    float* out = result.data_ptr<float>();
    const std::int64_t count = targets.size(0);
    at::parallel_for(0, points.size(0), kCpuChunk, [&](std::int64_t begin, std::int64_t end) {
        for_each_distance_chunk(points, point_norms, target_rows, target_norms, begin, end,
                                [&](std::int64_t first, std::int64_t rows, const float* squared) {
                                    std::copy_n(squared, rows * count, out + first * count);
                                });
    });
    return result;
}

// The update's sums ride along with the assignment, one pass over the points per iteration
// (torch's index_add_ would read them again on one thread). Each thread sums into its own
// float64 block, merged in chunk order so the result does not depend on the thread count.
Assignment assign_on_cpu(const torch::Tensor& points, const torch::Tensor& point_norms, const torch::Tensor& centres) {
    const std::int64_t n = points.size(0), clusters = centres.size(0), dimensions = points.size(1);
    const auto centre_rows = centres.contiguous();
    const auto centre_norms = (centre_rows * centre_rows).sum(1).contiguous();
    auto labels = torch::empty({n}, torch::kInt64);
    auto distances = torch::empty({n}, torch::kFloat32);
    std::int64_t* label_data = labels.data_ptr<std::int64_t>();
    float* distance_data = distances.data_ptr<float>();
    const float* point_data = points.data_ptr<float>();
    constexpr std::int64_t kSumChunk = 8 * kCpuChunk;
    const std::int64_t chunks = (n + kSumChunk - 1) / kSumChunk;
    std::vector<std::vector<double>> chunk_sums(static_cast<std::size_t>(chunks));
    at::parallel_for(0, chunks, 1, [&](std::int64_t chunk_begin, std::int64_t chunk_end) {
        for (std::int64_t chunk = chunk_begin; chunk < chunk_end; ++chunk) {
            auto& sums = chunk_sums[static_cast<std::size_t>(chunk)];
            sums.assign(static_cast<std::size_t>(clusters * dimensions), 0.0);
            const std::int64_t begin = chunk * kSumChunk, end = std::min(n, begin + kSumChunk);
            for_each_distance_chunk(points, point_norms, centre_rows, centre_norms, begin, end,
                                    [&](std::int64_t first, std::int64_t rows, const float* squared) {
                for (std::int64_t r = 0; r < rows; ++r) {
                    const float* row = squared + r * clusters;
                    const std::int64_t nearest = std::min_element(row, row + clusters) - row;
                    distance_data[first + r] = row[nearest];
                    label_data[first + r] = nearest;
                    const float* point = point_data + (first + r) * dimensions;
                    double* sum = sums.data() + nearest * dimensions;
                    for (std::int64_t d = 0; d < dimensions; ++d) sum[d] += point[d];
                }
            });
        }
    });
    auto summed = torch::zeros({clusters, dimensions}, torch::kFloat64);
    double* total = summed.data_ptr<double>();
    for (const auto& sums : chunk_sums) {
        for (std::size_t c = 0; c < sums.size(); ++c) total[c] += sums[c];
    }
    return {labels, distances, summed.to(torch::kFloat32)};
}

Assignment assign(const torch::Tensor& points, const torch::Tensor& point_norms, const torch::Tensor& centres) {
    if (points.is_cpu()) return assign_on_cpu(points, point_norms, centres);
    const auto centre_norms = (centres * centres).sum(1);
    std::vector<torch::Tensor> labels, distances;
    for (std::int64_t begin = 0; begin < points.size(0); begin += kRowBlock) {
        const auto block = points.narrow(0, begin, std::min(kRowBlock, points.size(0) - begin));
        const auto block_norms = point_norms.narrow(0, begin, block.size(0));
        auto squared = torch::addmm(block_norms.unsqueeze(1) + centre_norms.unsqueeze(0), block, centres.t(), 1.0, -2.0);
        auto [minimum, index] = squared.clamp_min_(0).min(1);
        labels.push_back(index);
        distances.push_back(minimum);
    }
    return {torch::cat(labels), torch::cat(distances), torch::Tensor()};
}

// Index drawn with probability proportional to weight.
std::int64_t sample_weighted(const std::vector<double>& cumulative, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> uniform(0.0, cumulative.back());
    const double target = uniform(rng);
    const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), target);
    return std::min<std::int64_t>(it - cumulative.begin(), static_cast<std::int64_t>(cumulative.size()) - 1);
}

// k-means++ with several local trials per centre (as scikit-learn: 2 + log k), which makes
// the seeding markedly more robust than one draw.
torch::Tensor seed_centres(const torch::Tensor& points, const torch::Tensor& point_norms, int clusters,
                           std::mt19937_64& rng) {
    const std::int64_t n = points.size(0);
    const int trials = 2 + static_cast<int>(std::log(static_cast<double>(clusters)));
    std::vector<std::int64_t> chosen{std::uniform_int_distribution<std::int64_t>(0, n - 1)(rng)};
    auto closest = assign(points, point_norms, points.index({chosen[0]}).unsqueeze(0)).distances;
    for (int c = 1; c < clusters; ++c) {
        auto host = closest.to(torch::kCPU, torch::kFloat64).contiguous();
        std::vector<double> cumulative(static_cast<std::size_t>(n));
        std::partial_sum(host.data_ptr<double>(), host.data_ptr<double>() + n, cumulative.begin());
        std::vector<std::int64_t> candidates;
        if (cumulative.back() <= 0.0) {  // all remaining points coincide with centres
            candidates.push_back(std::uniform_int_distribution<std::int64_t>(0, n - 1)(rng));
        } else {
            for (int t = 0; t < trials; ++t) candidates.push_back(sample_weighted(cumulative, rng));
        }
        // All candidates in one GEMM: one pass over the points instead of one per candidate.
        auto candidate_index = torch::tensor(candidates, torch::TensorOptions().dtype(torch::kInt64).device(points.device()));
        auto candidate_points = points.index({candidate_index});
        auto distances = squared_distances(points, point_norms, candidate_points);
        auto merged = torch::minimum(closest.unsqueeze(1), distances);
        auto potentials = merged.to(torch::kFloat64).sum(0);
        const std::int64_t best = potentials.argmin().item<std::int64_t>();
        const std::int64_t best_candidate = candidates[static_cast<std::size_t>(best)];
        auto best_closest = merged.select(1, best).contiguous();
        chosen.push_back(best_candidate);
        closest = best_closest;
    }
    return points.index({torch::tensor(chosen, torch::TensorOptions().dtype(torch::kInt64).device(points.device()))}).clone();
}

torch::Tensor update_centres(const torch::Tensor& points, const Assignment& assignment, const torch::Tensor& previous,
                             DistanceMetric metric) {
    const std::int64_t clusters = previous.size(0);
    auto sums = assignment.sums.defined() ? assignment.sums : torch::zeros_like(previous).index_add_(0, assignment.labels, points);
    auto counts = torch::bincount(assignment.labels, {}, clusters).to(points.dtype());
    auto centres = sums / counts.clamp_min(1).unsqueeze(1);
    // An empty cluster takes the point farthest from its centre, as scikit-learn relocates them.
    auto empty = (counts == 0).nonzero().flatten();
    if (empty.numel() > 0) {
        auto farthest = std::get<1>(assignment.distances.topk(empty.numel()));
        centres.index_put_({empty}, points.index({farthest}));
    }
    if (metric == DistanceMetric::cosine) centres = detail::normalized_rows(centres);
    return centres;
}

}  // namespace

namespace {

// Sum over points of |x - c(x)|^2 in float64, from the differences (the expanded-norm distances
// lose digits to cancellation). On a CPU one pass with no temporaries: a float64 copy of the
// points, even block by block, page-faulted anew each restart and cost more than an iteration.
double summed_squared_differences(const torch::Tensor& points, const torch::Tensor& centres, const torch::Tensor& labels) {
    if (!points.is_cpu()) {
        double total = 0.0;
        for (std::int64_t begin = 0; begin < points.size(0); begin += kRowBlock) {
            const std::int64_t count = std::min(kRowBlock, points.size(0) - begin);
            const auto block_labels = labels.narrow(0, begin, count);
            total += (points.narrow(0, begin, count).to(torch::kFloat64) - centres.index({block_labels}).to(torch::kFloat64))
                         .pow(2)
                         .sum()
                         .item<double>();
        }
        return total;
    }
    const std::int64_t n = points.size(0), dimensions = points.size(1);
    const auto centre_rows = centres.contiguous();
    const float* point_data = points.data_ptr<float>();
    const float* centre_data = centre_rows.data_ptr<float>();
    const std::int64_t* label_data = labels.data_ptr<std::int64_t>();
    constexpr std::int64_t kChunk = 4096;
    std::vector<double> chunk_totals(static_cast<std::size_t>((n + kChunk - 1) / kChunk), 0.0);
    at::parallel_for(0, static_cast<std::int64_t>(chunk_totals.size()), 1, [&](std::int64_t chunk_begin, std::int64_t chunk_end) {
        for (std::int64_t chunk = chunk_begin; chunk < chunk_end; ++chunk) {
            double total = 0.0;
            for (std::int64_t i = chunk * kChunk; i < std::min(n, (chunk + 1) * kChunk); ++i) {
                const float* point = point_data + i * dimensions;
                const float* centre = centre_data + label_data[i] * dimensions;
                for (std::int64_t d = 0; d < dimensions; ++d) {
                    const double difference = static_cast<double>(point[d]) - centre[d];
                    total += difference * difference;
                }
            }
            chunk_totals[static_cast<std::size_t>(chunk)] = total;
        }
    });
    double total = 0.0;
    for (const double value : chunk_totals) total += value;
    return total;
}

// Both by blocks of rows: over a million points a whole-matrix temporary would be gigabytes.
bool all_finite(const torch::Tensor& points) {
    for (std::int64_t begin = 0; begin < points.size(0); begin += kRowBlock) {
        const auto block = points.narrow(0, begin, std::min(kRowBlock, points.size(0) - begin));
        if (!torch::isfinite(block).all().item<bool>()) return false;
    }
    return true;
}

torch::Tensor row_squared_norms(const torch::Tensor& points) {
    auto norms = torch::empty({points.size(0)}, points.options());
    for (std::int64_t begin = 0; begin < points.size(0); begin += kRowBlock) {
        const std::int64_t count = std::min(kRowBlock, points.size(0) - begin);
        const auto block = points.narrow(0, begin, count);
        norms.narrow(0, begin, count).copy_((block * block).sum(1));
    }
    return norms;
}

}  // namespace

int expected_kmeans_iterations(std::int64_t points, int max_iterations) {
    const double typical = 2.5 * std::cbrt(static_cast<double>(std::max<std::int64_t>(1, points)));
    return std::clamp(static_cast<int>(std::lround(typical)), std::min(5, max_iterations), std::max(1, max_iterations));
}

namespace {

Expected<KMeansResult> kmeans(const FloatMatrix& matrix, const KMeansParams& params, const JobContext& job) {
    if (params.clusters < 1) return make_error(ErrorCode::invalid_argument, "k-means needs at least one cluster");
    if (matrix.rows() < params.clusters) {
        return make_error(ErrorCode::invalid_argument, "k-means: " + std::to_string(matrix.rows()) +
                                                           " points cannot form " + std::to_string(params.clusters) +
                                                           " clusters");
    }
    if (matrix.cols() == 0) return make_error(ErrorCode::invalid_argument, "k-means: points have no features");
    torch::InferenceMode inference;
    // Read in place on the CPU (only ever read; cosine makes its own normalised copy).
    auto points = detail::to_tensor_view(matrix, detail::compute_device());
    if (!all_finite(points)) {
        return make_error(ErrorCode::invalid_argument, "k-means: the features contain NaN or infinity");
    }
    if (params.metric == DistanceMetric::cosine) {
        points = detail::normalized_rows(points);
    }
    const auto point_norms = row_squared_norms(points);
    const double tolerance = params.tolerance * points.var(0, /*unbiased=*/false).mean().item<double>();
    const int restarts = std::max(1, params.restarts);

    KMeansResult best;
    best.inertia = std::numeric_limits<double>::infinity();
    for (int restart = 0; restart < restarts; ++restart) {
        std::mt19937_64 rng(params.seed * 7919 + static_cast<std::uint64_t>(restart));
        auto centres = seed_centres(points, point_norms, params.clusters, rng);
        int iteration = 0;
        // When a restart converges is not known beforehand: its progress is its iterations
        // against the count expected (what the earlier restarts took, else the typical count),
        // slowing down instead of stopping when it takes longer.
        const double expected = restart > 0 ? static_cast<double>(best.total_iterations) / restart
                                : params.expected_iterations > 0
                                    ? params.expected_iterations
                                    : expected_kmeans_iterations(matrix.rows(), params.max_iterations);
        for (; iteration < params.max_iterations; ++iteration) {
            if (job.stop_requested()) return cancelled_error();
            const auto assignment = assign(points, point_norms, centres);
            auto updated = update_centres(points, assignment, centres, params.metric);
            const double shift = (updated - centres).pow(2).sum().item<double>();
            centres = updated;
            const double done = iteration + 1.0;
            const double within = done < expected ? 0.9 * done / expected : 0.9 + 0.1 * (1.0 - expected / done);
            job.report((restart + within) / restarts, "k-means");
            if (shift <= tolerance) { ++iteration; break; }
        }
        best.total_iterations += iteration;
        // Labels consistent with the final centres.
        const auto final_assignment = assign(points, point_norms, centres);
        const double inertia = summed_squared_differences(points, centres, final_assignment.labels);
        if (inertia < best.inertia) {
            best.inertia = inertia;
            best.iterations = iteration;
            best.centres = detail::to_matrix(centres);
            auto labels = final_assignment.labels.to(torch::kCPU, torch::kInt32).contiguous();
            best.assignment.assign(labels.data_ptr<int>(), labels.data_ptr<int>() + labels.numel());
        }
    }
    job.report(1.0, "k-means done");
    return best;
}

}  // namespace

Expected<KMeansResult> run_kmeans(const FloatMatrix& matrix, const KMeansParams& params, const JobContext& job) {
    return detail::guarded("k-means", [&] { return kmeans(matrix, params, job); });
}

}  // namespace corral
