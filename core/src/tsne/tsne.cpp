#include "corral/core/tsne.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include "tensor_bridge.h"
#include "tsne/affinities.h"
#include "tsne/interpolated_repulsion.h"
#include "guard.h"
#include "tsne/principal_components.h"
#include "tsne/tsne_objective.h"

namespace corral {
namespace {

constexpr double kInitialStandardDeviation = 1e-4;
// Iterations between the KL values shown in progress messages: a KL costs a logarithm per
// nonzero of P, about a tenth of an iteration.
constexpr int kKlEvery = 100;

Status validate(const FloatMatrix& points, const TsneParams& params) {
    const auto fail = [](const std::string& message) { return make_error(ErrorCode::invalid_argument, "t-SNE: " + message); };
    if (points.cols() < 1) return fail("the points have no features");
    if (points.rows() < 4) return fail("needs at least 4 points, got " + std::to_string(points.rows()));
    if (!(params.perplexity > 0.0)) return fail("the perplexity must be positive");
    if (params.perplexity >= static_cast<double>(points.rows() - 1)) {
        return fail("perplexity " + std::to_string(params.perplexity) + " needs more than " +
                    std::to_string(static_cast<long long>(params.perplexity) + 1) + " points");
    }
    if (params.neighbours < 0) return fail("the number of neighbours cannot be negative");
    if (params.iterations < 1) return fail("needs at least one iteration");
    if (params.exaggeration_iterations < 0) return fail("exaggeration iterations cannot be negative");
    if (!(params.early_exaggeration > 0.0)) return fail("the early exaggeration must be positive");
    if (!(params.learning_rate >= 0.0)) return fail("the learning rate cannot be negative");
    if (params.interpolation_points < 1 || params.interpolation_points > 10) {
        return fail("interpolation points per interval must be 1 to 10");
    }
    if (params.min_intervals < 1 || !(params.intervals_per_unit > 0.0)) return fail("the interpolation grid is empty");
    if (params.pca_dimensions < 0 || params.layout_every < 0) return fail("negative count in the parameters");
    for (const float value : points.values()) {
        if (!std::isfinite(value)) return fail("the points contain NaN or infinity");
    }
    return ok();
}

std::vector<double> initial_layout(const torch::Tensor& data, const TsneParams& params) {
    const std::int64_t n = data.size(0);
    std::vector<double> layout(static_cast<std::size_t>(2 * n));
    if (params.initialization == TsneInitialization::pca && data.size(1) >= 2) {
        const auto components = detail::project_on_principal_components(data, 2).to(torch::kCPU, torch::kFloat64);
        const double deviation = components.select(1, 0).std().item<double>();
        const auto scaled = (components * (kInitialStandardDeviation / std::max(deviation, 1e-300))).contiguous();
        std::copy_n(scaled.data_ptr<double>(), layout.size(), layout.begin());
    } else {
        std::mt19937_64 rng(params.seed);
        std::normal_distribution<double> normal(0.0, kInitialStandardDeviation);
        for (auto& coordinate : layout) coordinate = normal(rng);
    }
    return layout;
}

FloatMatrix as_matrix(const std::vector<double>& layout) {
    FloatMatrix matrix(static_cast<std::int64_t>(layout.size() / 2), 2);
    std::transform(layout.begin(), layout.end(), matrix.data(), [](double v) { return static_cast<float>(v); });
    return matrix;
}

void subtract_mean(std::vector<double>& layout) {
    double mean[2] = {0.0, 0.0};
    for (std::size_t c = 0; c < layout.size(); ++c) mean[c % 2] += layout[c];
    const double n = static_cast<double>(layout.size() / 2);
    for (std::size_t c = 0; c < layout.size(); ++c) layout[c] -= mean[c % 2] / n;
}

struct Optimisation {
    std::vector<double> layout;
    double kl_divergence = 0.0;
    bool kl_exact = false;
};

// Gradient descent with momentum and per-coordinate gains (Jacobs' delta-bar-delta, as every
// t-SNE since van der Maaten's). The gradient omits the constant factor 4 (as FIt-SNE and
// openTSNE), which is why the automatic learning rate is N/12 here and N/48 in scikit-learn.
Expected<Optimisation> optimise(std::vector<double> layout, const detail::SparseAffinities& affinities,
                                const TsneParams& params, double learning_rate, const JobContext& job,
                                const TsneLayoutCallback& on_layout) {
    const std::int64_t n = affinities.points;
    const std::size_t size = layout.size();
    std::vector<double> update(size, 0.0), gains(size, 1.0), attraction(size), repulsion(size);
    const detail::InterpolatedRepulsion repulsive({params.interpolation_points, params.min_intervals, params.intervals_per_unit});
    const double max_step_squared = params.max_step_norm * params.max_step_norm;
    double last_kl = std::nan("");
    for (int iteration = 0; iteration < params.iterations; ++iteration) {
        if (job.stop_requested()) return cancelled_error();
        const bool exaggerating = iteration < params.exaggeration_iterations;
        const double exaggeration = exaggerating ? params.early_exaggeration : 1.0;
        const double momentum = exaggerating ? params.initial_momentum : params.final_momentum;
        detail::attractive_forces(affinities, layout, attraction);
        const double normalisation = repulsive.compute(layout, repulsion);
        if (iteration % kKlEvery == 0) last_kl = detail::kl_divergence(affinities, layout, normalisation);
        at::parallel_for(0, n, 65536, [&](std::int64_t begin, std::int64_t end) {
            for (std::size_t c = static_cast<std::size_t>(2 * begin); c < static_cast<std::size_t>(2 * end); c += 2) {
                double step[2];
                for (std::size_t d = 0; d < 2; ++d) {
                    const double gradient = exaggeration * attraction[c + d] - repulsion[c + d] / normalisation;
                    gains[c + d] = gradient * update[c + d] < 0.0 ? gains[c + d] + 0.2 : std::max(gains[c + d] * 0.8, 0.01);
                    step[d] = momentum * update[c + d] - learning_rate * gains[c + d] * gradient;
                }
                const double squared = step[0] * step[0] + step[1] * step[1];
                if (max_step_squared > 0.0 && squared > max_step_squared) {
                    const double scale = params.max_step_norm / std::sqrt(squared);
                    step[0] *= scale;
                    step[1] *= scale;
                }
                for (std::size_t d = 0; d < 2; ++d) {
                    update[c + d] = step[d];
                    layout[c + d] += step[d];
                }
            }
        });
        subtract_mean(layout);
        const int done = iteration + 1;
        if (on_layout && params.layout_every > 0 && done % params.layout_every == 0) on_layout(as_matrix(layout), done);
        if (done % 10 == 0 || done == params.iterations) {
            char message[96];
            std::snprintf(message, sizeof message, "t-SNE iteration %d/%d, KL %.4f%s", done, params.iterations, last_kl,
                          exaggerating ? " (exaggerated)" : "");
            job.report(static_cast<double>(done) / params.iterations, message);
        }
    }
    Optimisation result;
    result.kl_exact = n <= params.exact_kl_max_points;
    const double normalisation =
        result.kl_exact ? detail::exact_normalisation(layout) : repulsive.compute(layout, repulsion);
    result.kl_divergence = detail::kl_divergence(affinities, layout, normalisation);
    result.layout = std::move(layout);
    return result;
}

Expected<TsneResult> run_tsne_unchecked(const FloatMatrix& points, const TsneParams& params, const JobContext& job,
                                        const TsneLayoutCallback& on_layout) {
    torch::InferenceMode inference;
    Stopwatch total, stage;
    TsneResult result;
    const std::int64_t n = points.rows();

    auto data = detail::to_tensor(points, detail::compute_device());
    if (params.pca_dimensions > 0 && points.cols() > params.pca_dimensions) {
        data = detail::project_on_principal_components(data, params.pca_dimensions);
    }
    auto layout = initial_layout(data, params);
    result.timings.pca_ms = stage.elapsed_ms();

    stage.restart();
    const int wanted = params.neighbours > 0 ? params.neighbours : static_cast<int>(std::lround(3.0 * params.perplexity));
    result.neighbours = static_cast<int>(std::min<std::int64_t>(std::max(wanted, 1), n - 1));
    auto graph = detail::neighbour_graph(data, result.neighbours, job.stage(0.0, 0.15), params.neighbour_method);
    if (!graph) return graph.error();
    data = torch::Tensor();
    result.timings.neighbours_ms = stage.elapsed_ms();

    stage.restart();
    if (job.stop_requested()) return cancelled_error();
    const auto affinities = detail::symmetrise(*graph, detail::conditional_affinities(*graph, params.perplexity));
    graph = detail::NeighbourGraph{};
    result.timings.affinities_ms = stage.elapsed_ms();
    job.report(0.2, "t-SNE affinities");

    stage.restart();
    result.learning_rate = params.learning_rate > 0.0
                               ? params.learning_rate
                               : std::max(static_cast<double>(n) / params.early_exaggeration, 200.0);
    auto optimised = optimise(std::move(layout), affinities, params, result.learning_rate, job.stage(0.2, 1.0), on_layout);
    if (!optimised) return optimised.error();
    result.timings.optimisation_ms = stage.elapsed_ms();
    result.layout = as_matrix(optimised->layout);
    result.kl_divergence = optimised->kl_divergence;
    result.kl_exact = optimised->kl_exact;
    result.timings.total_ms = total.elapsed_ms();
    return result;
}

}  // namespace

Expected<TsneResult> run_tsne(const FloatMatrix& points, const TsneParams& params, const JobContext& job,
                              const TsneLayoutCallback& on_layout) {
    if (auto valid = validate(points, params); !valid) return valid.error();
    return detail::guarded("t-SNE of " + std::to_string(points.rows()) + " points",
                           [&] { return run_tsne_unchecked(points, params, job, on_layout); });
}

}  // namespace corral
