#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <map>
#include <stop_token>

#include "corral/core/tsne.h"
#include "test_support.h"
#include "tsne/affinities.h"
#include "tsne/interpolated_repulsion.h"
#include "tsne/tsne_objective.h"

using namespace corral;

namespace {

struct Mixture {
    FloatMatrix points;
    std::vector<int> labels;
};

// `clusters` Gaussian blobs (unit variance) around centres drawn with standard deviation 4 in
// every dimension: centres are about 4 sqrt(2D) apart against blob diameters of about 2 sqrt(D).
Mixture planted_mixture(std::int64_t n, std::int64_t dimensions, int clusters, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> centres(static_cast<std::size_t>(clusters * dimensions));
    for (auto& value : centres) value = 4.0f * normal(rng);
    Mixture mixture{FloatMatrix(n, dimensions), std::vector<int>(static_cast<std::size_t>(n))};
    for (std::int64_t i = 0; i < n; ++i) {
        const int cluster = static_cast<int>(i % clusters);
        mixture.labels[static_cast<std::size_t>(i)] = cluster;
        for (std::int64_t d = 0; d < dimensions; ++d) {
            mixture.points(i, d) = centres[static_cast<std::size_t>(cluster * dimensions + d)] + normal(rng);
        }
    }
    return mixture;
}

// A layout shaped like a converged t-SNE map: blobs of different sizes over a span of about 60.
std::vector<double> map_like_layout(std::int64_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::uniform_real_distribution<double> uniform(-25.0, 25.0);
    std::vector<double> layout(static_cast<std::size_t>(2 * n));
    std::vector<double> centres(20), spreads(10);
    for (auto& c : centres) c = uniform(rng);
    for (auto& s : spreads) s = 0.5 + std::abs(normal(rng)) * 2.0;
    for (std::int64_t i = 0; i < n; ++i) {
        const std::size_t blob = static_cast<std::size_t>(i % 10);
        layout[static_cast<std::size_t>(2 * i)] = centres[2 * blob] + spreads[blob] * normal(rng);
        layout[static_cast<std::size_t>(2 * i + 1)] = centres[2 * blob + 1] + spreads[blob] * normal(rng);
    }
    return layout;
}

double relative_error(const std::vector<double>& approximate, const std::vector<double>& exact) {
    double difference = 0.0, norm = 0.0;
    for (std::size_t c = 0; c < exact.size(); ++c) {
        difference += (approximate[c] - exact[c]) * (approximate[c] - exact[c]);
        norm += exact[c] * exact[c];
    }
    return std::sqrt(difference / norm);
}

// The fraction of each point's k nearest map neighbours that share its label, averaged.
double neighbour_label_agreement(const FloatMatrix& layout, const std::vector<int>& labels, int k) {
    const std::int64_t n = layout.rows();
    double agreement = 0.0;
    std::vector<std::pair<float, std::int64_t>> distances(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
        for (std::int64_t j = 0; j < n; ++j) {
            const float dx = layout(i, 0) - layout(j, 0), dy = layout(i, 1) - layout(j, 1);
            distances[static_cast<std::size_t>(j)] = {j == i ? INFINITY : dx * dx + dy * dy, j};
        }
        std::partial_sort(distances.begin(), distances.begin() + k, distances.end());
        int same = 0;
        for (int m = 0; m < k; ++m) same += labels[static_cast<std::size_t>(distances[static_cast<std::size_t>(m)].second)] == labels[static_cast<std::size_t>(i)];
        agreement += static_cast<double>(same) / k;
    }
    return agreement / static_cast<double>(n);
}

TsneParams quick_params() {
    TsneParams params;
    params.iterations = 300;
    params.exaggeration_iterations = 100;
    return params;
}

}  // namespace

TEST_CASE("interpolated repulsion matches the exact O(N^2) sums", "[unit][tsne]") {
    const std::int64_t n = 2000;
    const TsneParams defaults;
    const corral::detail::InterpolatedRepulsion repulsion(
        {defaults.interpolation_points, defaults.min_intervals, defaults.intervals_per_unit});
    std::vector<double> exact_forces(2 * n), forces(2 * n);

    SECTION("a converged map") {
        // A real t-SNE map (of a planted mixture): dense clusters over a span of about 70.
        const auto mixture = planted_mixture(n, 20, 10, 42);
        auto params = defaults;
        params.iterations = 500;
        auto map = run_tsne(mixture.points, params);
        REQUIRE(map);
        const std::vector<double> layout(map->layout.values().begin(), map->layout.values().end());
        const double exact_z = corral::detail::exact_repulsion(layout, exact_forces);
        const double z = repulsion.compute(layout, forces);
        CHECK(repulsion.intervals_for(layout) > defaults.min_intervals);  // the grid follows the extent
        // The defaults are FIt-SNE's (3 points per unit interval): Z within 0.1 %, the forces
        // within 2 % (measured 1.6 %), the accuracy of Barnes-Hut at angle 0.5, at a third of the
        // FFT cost of the 1 % setting below.
        CHECK(std::abs(z - exact_z) / exact_z < 1e-3);
        CHECK(relative_error(forces, exact_forces) < 2e-2);
        const corral::detail::InterpolatedRepulsion twice_as_fine({3, 50, 2.0});
        CHECK(std::abs(twice_as_fine.compute(layout, forces) - exact_z) / exact_z < 2e-4);
        CHECK(relative_error(forces, exact_forces) < 1e-2);
        // Finer interpolation converges quickly to the exact sums (float32 FFTs bound it near 1e-5).
        const corral::detail::InterpolatedRepulsion fine({5, 50, 2.0});
        CHECK(std::abs(fine.compute(layout, forces) - exact_z) / exact_z < 1e-5);
        CHECK(relative_error(forces, exact_forces) < 2e-4);
    }
    SECTION("the tiny initial layout") {
        auto layout = map_like_layout(n, 8);
        for (auto& coordinate : layout) coordinate *= 1e-5;
        const double exact_z = corral::detail::exact_repulsion(layout, exact_forces);
        const double z = repulsion.compute(layout, forces);
        CHECK(std::abs(z - exact_z) / exact_z < 1e-6);
        CHECK(relative_error(forces, exact_forces) < 1e-2);
    }
}

TEST_CASE("exact neighbours agree with a brute-force sort", "[unit][tsne]") {
    const auto mixture = planted_mixture(1500, 12, 5, 3);
    auto points = torch::from_blob(const_cast<float*>(mixture.points.data()), {1500, 12}, torch::kFloat32);
    const int k = 15;
    auto graph = corral::detail::neighbour_graph(points, k, {});
    REQUIRE(graph);
    const auto distances = torch::cdist(points.to(torch::kFloat64), points.to(torch::kFloat64)).pow(2);
    distances.fill_diagonal_(INFINITY);
    const auto expected = std::get<1>(distances.topk(k, 1, /*largest=*/false, /*sorted=*/true));
    std::int64_t mismatches = 0;
    for (std::int64_t i = 0; i < 1500; ++i) {
        for (int j = 0; j < k; ++j) {
            const auto index = graph->indices[static_cast<std::size_t>(i * k + j)];
            mismatches += index != expected[i][j].item<std::int64_t>();
            const double exact = distances[i][index].item<double>();
            CHECK(graph->squared_distances[static_cast<std::size_t>(i * k + j)] == Approx(exact).epsilon(1e-4));
        }
    }
    // Float32 against float64 may swap two neighbours at (almost) equal distance, nothing more.
    CHECK(mismatches <= 3);
}

TEST_CASE("affinities reach the perplexity and form a symmetric distribution", "[unit][tsne]") {
    const auto mixture = planted_mixture(800, 10, 4, 5);
    auto points = torch::from_blob(const_cast<float*>(mixture.points.data()), {800, 10}, torch::kFloat32);
    auto graph = corral::detail::neighbour_graph(points, 90, {});
    REQUIRE(graph);
    const double perplexity = 30.0;
    const auto conditional = corral::detail::conditional_affinities(*graph, perplexity);
    for (std::int64_t i = 0; i < 800; ++i) {
        double sum = 0.0, entropy = 0.0;
        for (int j = 0; j < 90; ++j) {
            const double p = conditional[static_cast<std::size_t>(i * 90 + j)];
            sum += p;
            if (p > 0) entropy -= p * std::log(p);
        }
        CHECK(sum == Approx(1.0).epsilon(1e-12));
        CHECK(std::exp(entropy) == Approx(perplexity).epsilon(1e-3));
    }
    const auto joint = corral::detail::symmetrise(*graph, conditional);
    double total = 0.0;
    std::map<std::pair<int, int>, float> entries;
    for (std::int64_t i = 0; i < 800; ++i) {
        for (auto e = joint.row_offsets[static_cast<std::size_t>(i)]; e < joint.row_offsets[static_cast<std::size_t>(i) + 1]; ++e) {
            entries[{static_cast<int>(i), joint.columns[static_cast<std::size_t>(e)]}] = joint.values[static_cast<std::size_t>(e)];
            total += joint.values[static_cast<std::size_t>(e)];
        }
    }
    CHECK(total == Approx(1.0).epsilon(1e-5));
    for (const auto& [key, value] : entries) {
        REQUIRE(entries.count({key.second, key.first}) == 1);
        CHECK(entries.at({key.second, key.first}) == value);
    }
    // One hand-checked entry: p_ij = (p(j|i) + p(i|j)) / 2N.
    const int j = graph->indices[0];
    double reverse = 0.0;
    for (int m = 0; m < 90; ++m) {
        if (graph->indices[static_cast<std::size_t>(j * 90 + m)] == 0) reverse = conditional[static_cast<std::size_t>(j * 90 + m)];
    }
    CHECK(entries.at({0, j}) == Approx((conditional[0] + reverse) / 1600.0).epsilon(1e-6));
}

TEST_CASE("the KL divergence equals a dense float64 recomputation", "[unit][tsne]") {
    const auto mixture = planted_mixture(600, 8, 3, 9);
    auto points = torch::from_blob(const_cast<float*>(mixture.points.data()), {600, 8}, torch::kFloat32);
    auto graph = corral::detail::neighbour_graph(points, 60, {});
    REQUIRE(graph);
    const auto joint = corral::detail::symmetrise(*graph, corral::detail::conditional_affinities(*graph, 20.0));
    const auto layout = map_like_layout(600, 11);
    const double kl = corral::detail::kl_divergence(joint, layout, corral::detail::exact_normalisation(layout));

    auto dense_p = torch::zeros({600, 600}, torch::kFloat64);
    for (std::int64_t i = 0; i < 600; ++i) {
        for (auto e = joint.row_offsets[static_cast<std::size_t>(i)]; e < joint.row_offsets[static_cast<std::size_t>(i) + 1]; ++e) {
            dense_p[i][joint.columns[static_cast<std::size_t>(e)]] = joint.values[static_cast<std::size_t>(e)];
        }
    }
    auto y = torch::from_blob(const_cast<double*>(layout.data()), {600, 2}, torch::kFloat64);
    auto kernel = 1.0 / (1.0 + torch::cdist(y, y).pow(2));
    kernel.fill_diagonal_(0.0);
    const auto q = kernel / kernel.sum();
    const auto mask = dense_p > 0;
    const double expected = (dense_p.masked_select(mask) * (dense_p.masked_select(mask) / q.masked_select(mask)).log()).sum().item<double>();
    CHECK(kl == Approx(expected).epsilon(1e-9));
}

TEST_CASE("t-SNE is deterministic for a seed and streams its layouts", "[unit][tsne]") {
    const auto mixture = planted_mixture(1200, 30, 6, 21);
    auto params = quick_params();
    params.initialization = TsneInitialization::random;
    params.seed = 5;
    params.layout_every = 50;
    std::vector<int> seen;
    auto first = run_tsne(mixture.points, params, {}, [&](const FloatMatrix& layout, int iteration) {
        CHECK(layout.rows() == 1200);
        CHECK(layout.cols() == 2);
        seen.push_back(iteration);
    });
    REQUIRE(first);
    CHECK(seen == std::vector<int>{50, 100, 150, 200, 250, 300});
    auto second = run_tsne(mixture.points, params);
    REQUIRE(second);
    CHECK(first->layout == second->layout);
    CHECK(first->kl_divergence == second->kl_divergence);
    CHECK(first->kl_exact);
    CHECK(first->neighbours == 90);
    CHECK(first->learning_rate == 200.0);

    params.seed = 6;
    auto other = run_tsne(mixture.points, params);
    REQUIRE(other);
    CHECK(other->layout != first->layout);
    // Different seeds, same quality: both maps separate the six blobs.
    CHECK(neighbour_label_agreement(first->layout, mixture.labels, 10) > 0.98);
    CHECK(neighbour_label_agreement(other->layout, mixture.labels, 10) > 0.98);
}

TEST_CASE("t-SNE stops when asked and reports progress", "[unit][tsne]") {
    const auto mixture = planted_mixture(800, 16, 4, 2);
    std::stop_source stop;
    double last_fraction = 0.0;
    JobContext job(stop.get_token(), [&](double fraction, std::string_view) { last_fraction = fraction; });
    auto params = quick_params();
    params.layout_every = 10;
    int calls = 0;
    auto result = run_tsne(mixture.points, params, job, [&](const FloatMatrix&, int iteration) {
        ++calls;
        if (iteration == 40) stop.request_stop();
    });
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::cancelled);
    CHECK(calls == 4);
    CHECK(last_fraction > 0.2);
    CHECK(last_fraction < 0.5);
}

TEST_CASE("t-SNE refuses malformed input", "[unit][tsne]") {
    TsneParams params;
    CHECK(run_tsne(FloatMatrix(3, 5), params).error().code == ErrorCode::invalid_argument);
    CHECK(run_tsne(FloatMatrix(20, 5), params).error().code == ErrorCode::invalid_argument);  // perplexity 30
    auto points = planted_mixture(100, 5, 2, 1).points;
    points(7, 3) = NAN;
    params.perplexity = 10;
    CHECK(run_tsne(points, params).error().code == ErrorCode::invalid_argument);
    params.iterations = 0;
    CHECK(run_tsne(planted_mixture(100, 5, 2, 1).points, params).error().code == ErrorCode::invalid_argument);
}

TEST_CASE("t-SNE on a planted mixture separates the clusters and matches sklearn's KL", "[slow][tsne]") {
    // Like for like with sklearn 1.2's TSNE(method='barnes_hut', init='pca', learning_rate='auto'):
    // 20 input dimensions (below 50, so neither side reduces by PCA and the distances agree),
    // 91 neighbours (sklearn's 3 x perplexity + 1), 750 iterations of which 250 exaggerated by 12,
    // momentum 0.5 then 0.8, and the same learning rate (sklearn's N/48 with its factor 4 in the
    // gradient is our max(N/12, 200) without it). The oracle scores both maps with sklearn's own P
    // and an exact float64 Q, so the KL values compare the optimisers, not their estimators.
    const std::int64_t n = 2500;
    const auto mixture = planted_mixture(n, 20, 10, 42);
    TsneParams params;
    params.neighbours = 91;
    auto result = run_tsne(mixture.points, params);
    REQUIRE(result);
    REQUIRE(result->kl_exact);

    testing::TempDir scratch;
    testing::write_floats(scratch / "points.bin", mixture.points);
    testing::write_floats(scratch / "layout.bin", result->layout);
    const auto values = testing::parse_doubles(testing::run_python_oracle(
        "tsne_oracle.py", {(scratch / "points.bin").string(), (scratch / "layout.bin").string(), std::to_string(n), "20",
                           "30", "750"}));
    REQUIRE(values.size() == 5);
    const double sklearn_reported = values[0], sklearn_kl = values[1], our_kl_under_sklearn_p = values[2];
    const double sklearn_trust = values[3], our_trust = values[4];
    WARN("ours: KL " << result->kl_divergence << " (sklearn's P: " << our_kl_under_sklearn_p << "), trustworthiness "
                     << our_trust << "; sklearn: KL " << sklearn_kl << " (reported " << sklearn_reported
                     << "), trustworthiness " << sklearn_trust);
    // Our P and KL agree with sklearn's P and a float64 KL of the same map.
    CHECK(result->kl_divergence == Approx(our_kl_under_sklearn_p).epsilon(2e-3));
    // The optimisation is as good as sklearn's: KL within 3 % (or lower).
    CHECK(result->kl_divergence < 1.03 * sklearn_kl);
    CHECK(result->kl_divergence > 0.9 * sklearn_kl);
    // The map keeps neighbourhoods and separates the planted clusters.
    CHECK(our_trust > 0.95);
    CHECK(our_trust > sklearn_trust - 0.01);
    CHECK(neighbour_label_agreement(result->layout, mixture.labels, 10) > 0.99);
}

