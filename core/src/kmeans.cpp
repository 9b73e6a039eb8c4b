#include "corral/core/kmeans.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "guard.h"
#include "tensor_bridge.h"

namespace corral {
namespace {

constexpr std::int64_t kRowBlock = 16384;  // bounds the rows x clusters distance block in memory

struct Assignment {
    torch::Tensor labels;     // int64 [N]
    torch::Tensor distances;  // float [N], squared distance to the assigned centre
};

Assignment assign(const torch::Tensor& points, const torch::Tensor& point_norms, const torch::Tensor& centres) {
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
    return {torch::cat(labels), torch::cat(distances)};
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
        auto distances = torch::addmm(point_norms.unsqueeze(1) + point_norms.index({candidate_index}).unsqueeze(0), points,
                                      candidate_points.t(), 1.0, -2.0)
                             .clamp_min_(0);
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
    auto sums = torch::zeros_like(previous).index_add_(0, assignment.labels, points);
    auto counts = torch::bincount(assignment.labels, {}, clusters).to(points.dtype());
    auto centres = sums / counts.clamp_min(1).unsqueeze(1);
    // An empty cluster takes the point farthest from its centre, as scikit-learn relocates them.
    auto empty = (counts == 0).nonzero().flatten();
    if (empty.numel() > 0) {
        auto farthest = std::get<1>(assignment.distances.topk(empty.numel()));
        centres.index_put_({empty}, points.index({farthest}));
    }
    if (metric == DistanceMetric::cosine) centres = torch::nn::functional::normalize(centres, torch::nn::functional::NormalizeFuncOptions().dim(1));
    return centres;
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
    auto points = detail::to_tensor(matrix, detail::compute_device());
    if (!torch::isfinite(points).all().item<bool>()) {
        return make_error(ErrorCode::invalid_argument, "k-means: the features contain NaN or infinity");
    }
    if (params.metric == DistanceMetric::cosine) {
        points = torch::nn::functional::normalize(points, torch::nn::functional::NormalizeFuncOptions().dim(1));
    }
    const auto point_norms = (points * points).sum(1);
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
        // Summed in float64 from the differences, not from the expanded-norm distances, which
        // lose digits to cancellation.
        const double inertia =
            (points.to(torch::kFloat64) - centres.index({final_assignment.labels}).to(torch::kFloat64)).pow(2).sum().item<double>();
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
