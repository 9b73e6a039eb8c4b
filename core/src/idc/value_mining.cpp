#include "corral/core/value_mining.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <queue>
#include <random>
#include <string>

#include "idc/greedy_selection.h"
#include "knn.h"
#include "tensor_bridge.h"

namespace corral {
namespace {

// 1 - cos1 + cos2 reaches 0 only when a sample sits exactly on a centre that is orthogonal to all
// others; the floor keeps the log finite there.
constexpr double kHardnessFloor = 1e-6;
constexpr double kRepresentativenessFloor = 1e-12;

std::vector<double> to_doubles(const torch::Tensor& tensor) {
    auto host = tensor.to(torch::kCPU, torch::kFloat64).contiguous();
    return {host.data_ptr<double>(), host.data_ptr<double>() + host.numel()};
}

std::vector<double> compute_hardness(const torch::Tensor& points, const torch::Tensor& centres) {
    const auto similarities = points.mm(detail::normalized_rows(centres).t());
    const auto top = std::get<0>(similarities.topk(2, 1));
    const auto margin = (1.0 - top.select(1, 0) + top.select(1, 1)).to(torch::kFloat64);
    return to_doubles(margin.clamp_min(kHardnessFloor).log());
}

Expected<std::vector<double>> compute_representativeness(const torch::Tensor& points, int neighbors, KnnMethod method,
                                                         const JobContext& job) {
    detail::KnnOptions options;
    options.method = method;
    auto table = detail::nearest_neighbors(points, neighbors, detail::SelfMatch::include, job, options);
    if (!table) return table.error();
    const auto sums = table->squared_distances.to(torch::kFloat64).sum(1);
    return to_doubles(-sums.clamp_min(kRepresentativenessFloor).log());
}

// FNV-1a over the raw bytes: tells whether the features are the ones representativeness was computed on.
std::uint64_t fingerprint(const FloatMatrix& features) {
    std::uint64_t hash = 1469598103934665603ULL ^ static_cast<std::uint64_t>(features.rows() * 1000003 + features.cols());
    const auto* bytes = reinterpret_cast<const unsigned char*>(features.data());
    const std::size_t count = features.values().size() * sizeof(float);
    for (std::size_t i = 0; i < count; ++i) hash = (hash ^ bytes[i]) * 1099511628211ULL;
    return hash;
}

}  // namespace

std::string_view selection_strategy_name(SelectionStrategy strategy) {
    switch (strategy) {
        case SelectionStrategy::hard: return "hard";
        case SelectionStrategy::hard_representative: return "hard-rep";
        case SelectionStrategy::random: return "random";
        case SelectionStrategy::hard_representative_diverse: break;
    }
    return "hard-rep-div";
}

std::optional<SelectionStrategy> selection_strategy_from_name(std::string_view name) {
    for (const auto strategy : {SelectionStrategy::hard, SelectionStrategy::hard_representative,
                                SelectionStrategy::hard_representative_diverse, SelectionStrategy::random}) {
        if (selection_strategy_name(strategy) == name) return strategy;
    }
    return std::nullopt;
}

double typical_neighbour_distance_squared(std::span<const double> representativeness, int neighbors) {
    if (neighbors < 2 || representativeness.empty()) return 0.0;
    std::vector<double> means;
    means.reserve(representativeness.size());
    for (const double r : representativeness) means.push_back(std::exp(-r) / (neighbors - 1));
    const auto middle = means.begin() + static_cast<std::ptrdiff_t>(means.size() / 2);
    std::nth_element(means.begin(), middle, means.end());
    return *middle;
}

Expected<std::int64_t> count_neighbours_within(const FloatMatrix& features, std::int64_t sample, double distance_squared) {
    if (sample < 0 || sample >= features.rows()) {
        return make_error(ErrorCode::invalid_argument, "image " + std::to_string(sample) + " is not in the features");
    }
    try {
        torch::InferenceMode inference;
        // from_blob reads the matrix in place: a session's features can be 70k x 512 floats.
        auto* values = const_cast<float*>(features.data());
        const auto all = torch::from_blob(values, {features.rows(), features.cols()}, torch::kFloat32);
        auto similarities = all.mv(all[sample]);
        similarities[sample] = -std::numeric_limits<float>::infinity();  // the image itself
        // Unit rows: ||a - b||^2 = 2 - 2 a.b, so the distance bound is a similarity bound.
        const double min_similarity = 1.0 - distance_squared / 2.0;
        return similarities.ge(min_similarity).sum().item<std::int64_t>();
    } catch (const c10::Error& error) {
        return make_error(ErrorCode::internal, std::string("neighbourhood: ") + error.what_without_backtrace());
    }
}

ValueMiner::ValueMiner(ValueMinerParams params) : params_(params) {}

void ValueMiner::set_params(const ValueMinerParams& params) {
    if (params.neighbors != params_.neighbors || params.neighbor_method != params_.neighbor_method) {
        cached_representativeness_.clear();
    }
    params_ = params;
}

Expected<Selection> ValueMiner::select(const FloatMatrix& features, const FloatMatrix& centres, int count,
                                       std::span<const std::int64_t> excluded,
                                       std::span<const std::int64_t> diversity_seeds, const JobContext& job) {
    const std::int64_t n = features.rows();
    if (n == 0 || features.cols() == 0) return make_error(ErrorCode::invalid_argument, "value mining: no features");
    if (centres.rows() < 2 || centres.cols() != features.cols()) {
        return make_error(ErrorCode::invalid_argument, "value mining needs at least two centres of the feature dimension");
    }
    if (count < 0) return make_error(ErrorCode::invalid_argument, "value mining: negative sample count");
    if (params_.weights.diversity < 0.0) {
        return make_error(ErrorCode::invalid_argument, "value mining: the diversity weight must not be negative");
    }
    const bool uses_representativeness = params_.strategy == SelectionStrategy::hard_representative ||
                                         params_.strategy == SelectionStrategy::hard_representative_diverse;
    if (uses_representativeness && params_.neighbors < 1) {
        return make_error(ErrorCode::invalid_argument, "value mining: K = " + std::to_string(params_.neighbors) +
                                                           " neighbours");
    }
    // A collection smaller than K still has a density: every other sample is a neighbour.
    const int neighbors = static_cast<int>(std::min<std::int64_t>(params_.neighbors, n));
    std::vector<char> eligible(static_cast<std::size_t>(n), 1);
    for (const auto index : excluded) {
        if (index < 0 || index >= n) return make_error(ErrorCode::invalid_argument, "value mining: excluded sample out of range");
        eligible[static_cast<std::size_t>(index)] = 0;
    }
    for (const auto index : diversity_seeds) {
        if (index < 0 || index >= n) return make_error(ErrorCode::invalid_argument, "value mining: seed sample out of range");
    }
    try {
        torch::InferenceMode inference;
        Selection selection;
        Stopwatch stage;
        const auto device = detail::compute_device();
        const auto points = detail::normalized_rows(detail::to_tensor_view(features, device));
        selection.hardness = compute_hardness(points, detail::to_tensor(centres, device));
        if (uses_representativeness) {
            const auto key = fingerprint(features);
            if (key != cached_fingerprint_ || cached_representativeness_.size() != static_cast<std::size_t>(n)) {
                Stopwatch neighbours;
                auto computed = compute_representativeness(points, neighbors, params_.neighbor_method, job.stage(0.0, 0.9));
                if (!computed) return computed.error();
                selection.neighbours_ms = neighbours.elapsed_ms();
                cached_representativeness_ = std::move(*computed);
                cached_fingerprint_ = key;
            }
            selection.representativeness = cached_representativeness_;
        }
        selection.scoring_ms = stage.elapsed_ms();
        stage.restart();

        detail::GreedyProblem problem;
        problem.points = detail::normalized_rows(points.to(torch::kCPU)).contiguous();
        problem.eligible = &eligible;
        if (params_.strategy == SelectionStrategy::hard_representative_diverse) {
            problem.seeds.assign(diversity_seeds.begin(), diversity_seeds.end());
        }
        const auto& w = params_.weights;
        problem.base_value.resize(static_cast<std::size_t>(n));
        for (std::int64_t i = 0; i < n; ++i) {
            double value = w.hardness * selection.hardness[static_cast<std::size_t>(i)];
            if (uses_representativeness) value += w.representativeness * selection.representativeness[static_cast<std::size_t>(i)];
            problem.base_value[static_cast<std::size_t>(i)] = value;
        }
        problem.diversity_weight = params_.strategy == SelectionStrategy::hard_representative_diverse ? w.diversity : 0.0;

        std::vector<std::int64_t> order;
        if (params_.strategy == SelectionStrategy::random) {
            std::vector<std::int64_t> pool;
            for (std::int64_t i = 0; i < n; ++i) if (eligible[static_cast<std::size_t>(i)]) pool.push_back(i);
            std::mt19937_64 rng(params_.seed);
            std::shuffle(pool.begin(), pool.end(), rng);
            pool.resize(std::min<std::size_t>(pool.size(), static_cast<std::size_t>(count)));
            order = std::move(pool);
        } else {
            auto greedy = detail::run_greedy(params_.greedy, problem, count, job.stage(0.9, 1.0));
            if (!greedy) return greedy.error();
            order = std::move(greedy->picks);
            selection.diversity_evaluations = greedy->evaluations;
        }
        // Every pick's terms as they stood when it was chosen, whatever the strategy, so a
        // person can see why it was asked.
        const auto diversity = detail::diversity_along(problem, order);
        for (std::size_t m = 0; m < order.size(); ++m) {
            const auto i = static_cast<std::size_t>(order[m]);
            SampleValue pick;
            pick.sample = order[m];
            pick.hardness = selection.hardness[i];
            pick.representativeness = uses_representativeness ? selection.representativeness[i] : 0.0;
            pick.diversity = diversity[m];
            pick.value = problem.base_value[i] + problem.diversity_weight * diversity[m];
            selection.picks.push_back(pick);
        }
        selection.greedy_ms = stage.elapsed_ms();
        job.report(1.0, "samples selected");
        return selection;
    } catch (const c10::Error& error) {
        return make_error(ErrorCode::internal, std::string("value mining: ") + error.what_without_backtrace());
    }
}

}  // namespace corral
