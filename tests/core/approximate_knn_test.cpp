// The approximate neighbour index (HNSW, core/src/approximate_knn.cpp) against the exact kNN
// and a float64 brute force, and the automatic choice between them.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <vector>

#include "corral/core/nearest_neighbors.h"
#include "corral/core/value_mining.h"
#include "knn.h"
#include "planted_clusters.h"
#include "tensor_bridge.h"
#include "tsne/affinities.h"

using namespace corral;
using corral::detail::SelfMatch;

namespace {

// `clusters` Gaussian clusters of unit spread around centres drawn with spread `separation`.
torch::Tensor gaussian_mixture(std::int64_t n, std::int64_t dimensions, std::int64_t clusters, double separation,
                               std::uint64_t seed) {
    torch::manual_seed(seed);
    const auto centres = torch::randn({clusters, dimensions}) * separation;
    const auto labels = torch::randint(clusters, {n}, torch::kInt64);
    return (centres.index_select(0, labels) + torch::randn({n, dimensions})).contiguous();
}

// The share of the exact neighbours (per row, as sets) that the approximate table also found.
double recall(const torch::Tensor& approximate, const torch::Tensor& exact) {
    const auto hits = (approximate.unsqueeze(2) == exact.unsqueeze(1)).any(2).sum().item<std::int64_t>();
    return static_cast<double>(hits) / static_cast<double>(exact.numel());
}

// Squared distances of every (row, neighbour) pair of `indices`, in float64 from the coordinates.
torch::Tensor brute_distances(const torch::Tensor& points, const torch::Tensor& indices) {
    const auto all = points.to(torch::kFloat64);
    const auto neighbours = all.index_select(0, indices.reshape({-1})).reshape({indices.size(0), indices.size(1), -1});
    return (neighbours - all.unsqueeze(1)).pow(2).sum(2);
}

corral::detail::ApproximateKnnParams one_thread() {
    corral::detail::ApproximateKnnParams params;
    params.threads = 1;
    return params;
}

}  // namespace

TEST_CASE("approximate kNN finds at least 95% of the exact 20 nearest neighbours of a Gaussian mixture",
          "[unit][knn]") {
    const auto points = gaussian_mixture(4000, 48, 12, 1.0, 21);
    for (const auto self : {SelfMatch::include, SelfMatch::exclude}) {
        const auto exact = corral::detail::exact_nearest_neighbors(points, 20, self);
        REQUIRE(exact);
        for (const int threads : {1, 2}) {
            // The defaults search 256 of 4000 points; a list of 40 tests the graph itself.
            for (const std::int64_t search : {0, 40}) {
                auto params = one_thread();
                params.threads = threads;
                params.search_candidates = search;
                const auto approximate = corral::detail::approximate_nearest_neighbors(points, 20, self, {}, params);
                REQUIRE(approximate);
                REQUIRE(approximate->indices.sizes() == exact->indices.sizes());
                const double found = recall(approximate->indices, exact->indices);
                INFO("threads " << threads << ", search list " << search << ", recall@20 " << found);
                CHECK(found >= 0.95);
            }
        }
    }
    // The bar means something: a graph with two links and a search list of one misses most.
    auto poor = one_thread();
    poor.links = 2;
    poor.construction_candidates = 1;
    poor.search_candidates = 1;
    const auto exact = corral::detail::exact_nearest_neighbors(points, 20, SelfMatch::exclude);
    const auto approximate = corral::detail::approximate_nearest_neighbors(points, 20, SelfMatch::exclude, {}, poor);
    REQUIRE(exact);
    REQUIRE(approximate);
    CHECK(recall(approximate->indices, exact->indices) < 0.95);
}

TEST_CASE("approximate kNN reports the exact distances of the neighbours it returns, nearest first", "[unit][knn]") {
    // Far from the origin, where distances from an expanded form would lose their digits.
    const auto points = (gaussian_mixture(2500, 40, 6, 2.0, 5) * 0.05 + 20.0).contiguous();
    const int k = 15;
    const auto approximate = corral::detail::approximate_nearest_neighbors(points, k, SelfMatch::exclude, {}, one_thread());
    const auto exact = corral::detail::exact_nearest_neighbors(points, k, SelfMatch::exclude);
    REQUIRE(approximate);
    REQUIRE(exact);
    const auto brute = brute_distances(points, approximate->indices);
    const auto reported = approximate->squared_distances.to(torch::kFloat64);
    CHECK(((reported - brute).abs() / brute).max().item<double>() < 1e-4);
    // Ascending within each row; where two rows have the same neighbour, the same distance.
    CHECK((approximate->squared_distances.narrow(1, 1, k - 1) >= approximate->squared_distances.narrow(1, 0, k - 1))
              .all()
              .item<bool>());
    const auto same = approximate->indices == exact->indices;
    REQUIRE(same.sum().item<std::int64_t>() > 2500 * k / 2);
    const auto difference = (approximate->squared_distances - exact->squared_distances).abs().masked_select(same);
    const auto scale = exact->squared_distances.masked_select(same);
    CHECK((difference / scale).max().item<float>() < 1e-4f);
}

TEST_CASE("approximate kNN includes or excludes each point by index, duplicates included", "[unit][knn]") {
    // 300 distinct points three times each, and a block of 40 copies of one point: more copies
    // than neighbours, so HNSW returns others at distance 0 before (or instead of) the point itself.
    torch::manual_seed(8);
    const auto distinct = torch::randn({300, 12});
    const auto points = torch::cat({distinct, distinct, distinct, torch::randn({1, 12}).expand({40, 12})}).contiguous();
    const std::int64_t n = points.size(0);
    const int k = 10;
    for (const auto self : {SelfMatch::include, SelfMatch::exclude}) {
        const auto found = corral::detail::approximate_nearest_neighbors(points, k, self, {}, one_thread());
        REQUIRE(found);
        const auto indices = found->indices.contiguous();
        const auto distances = found->squared_distances.contiguous();
        std::int64_t bad_rows = 0;
        std::int64_t missed_copies = 0;
        for (std::int64_t i = 0; i < n; ++i) {
            const auto* row = indices.data_ptr<std::int64_t>() + i * k;
            const auto* row_distances = distances.data_ptr<float>() + i * k;
            const std::set<std::int64_t> unique(row, row + k);
            const auto own = std::count(row, row + k, i);
            bool good = static_cast<int>(unique.size()) == k;
            if (self == SelfMatch::include) good = good && row[0] == i && row_distances[0] == 0.0f && own == 1;
            else good = good && own == 0;
            bad_rows += !good;
            // A distinct point's two other copies are its nearest others, at distance 0.
            if (i < 900) {
                const int first_other = self == SelfMatch::include ? 1 : 0;
                for (int j = first_other; j < first_other + 2; ++j) {
                    missed_copies += row_distances[j] != 0.0f || row[j] % 300 != i % 300;
                }
            } else {
                // A copy in the block: all its neighbours are other copies.
                for (int j = 0; j < k; ++j) missed_copies += row_distances[j] != 0.0f || row[j] < 900;
            }
        }
        CHECK(bad_rows == 0);
        CHECK(missed_copies == 0);
    }
}

TEST_CASE("approximate kNN is the same on every run with one thread, and checks its input", "[unit][knn]") {
    const auto points = gaussian_mixture(1500, 16, 5, 1.5, 3);
    const auto first = corral::detail::approximate_nearest_neighbors(points, 8, SelfMatch::exclude, {}, one_thread());
    const auto second = corral::detail::approximate_nearest_neighbors(points, 8, SelfMatch::exclude, {}, one_thread());
    REQUIRE(first);
    REQUIRE(second);
    CHECK(torch::equal(first->indices, second->indices));
    CHECK(torch::equal(first->squared_distances, second->squared_distances));

    CHECK(corral::detail::approximate_nearest_neighbors(points, 0, SelfMatch::include).error().code == ErrorCode::invalid_argument);
    CHECK(corral::detail::approximate_nearest_neighbors(points, 1500, SelfMatch::exclude).error().code ==
          ErrorCode::invalid_argument);
    CHECK(corral::detail::approximate_nearest_neighbors(points, 1500, SelfMatch::include));
    CHECK(corral::detail::approximate_nearest_neighbors(points.flatten(), 3, SelfMatch::include).error().code ==
          ErrorCode::invalid_argument);
    auto bad = one_thread();
    bad.links = 1;
    CHECK(corral::detail::approximate_nearest_neighbors(points, 3, SelfMatch::include, {}, bad).error().code ==
          ErrorCode::invalid_argument);
    // K = 1 with the point itself: nothing to search, the point alone.
    const auto alone = corral::detail::approximate_nearest_neighbors(points, 1, SelfMatch::include);
    REQUIRE(alone);
    CHECK(torch::equal(alone->indices.squeeze(1), torch::arange(1500)));
}

TEST_CASE("approximate kNN stops when asked, before it has built its index", "[unit][knn]") {
    std::stop_source stopped;
    stopped.request_stop();
    const auto points = gaussian_mixture(30000, 64, 10, 1.0, 4);
    const auto early = corral::detail::approximate_nearest_neighbors(points, 20, SelfMatch::include,
                                                             JobContext(stopped.get_token(), {}));
    REQUIRE_FALSE(early);
    CHECK(early.error().code == ErrorCode::cancelled);

    // A stop requested at the first progress report, while the index is being built.
    std::stop_source stop;
    std::atomic<double> last_fraction{0.0};
    std::atomic<int> reports{0};
    const JobContext job(stop.get_token(), [&](double fraction, std::string_view) {
        last_fraction = fraction;
        ++reports;
        stop.request_stop();
    });
    Stopwatch clock;
    const auto cancelled = corral::detail::approximate_nearest_neighbors(points, 20, SelfMatch::include, job);
    REQUIRE_FALSE(cancelled);
    CHECK(cancelled.error().code == ErrorCode::cancelled);
    CHECK(reports >= 1);
    CHECK(last_fraction < 0.28);  // the build's share of the progress: 100 / (100 + 256)
    INFO("cancelled after " << clock.elapsed_ms() << " ms");
    CHECK(clock.elapsed_ms() < 10000.0);
}

TEST_CASE("automatic kNN switches to the approximate index at its threshold", "[unit][knn]") {
    CHECK(resolve_knn_method(KnnMethod::automatic, kApproximateKnnMinPoints - 1) == KnnMethod::exact);
    CHECK(resolve_knn_method(KnnMethod::automatic, kApproximateKnnMinPoints) == KnnMethod::approximate);
    CHECK(resolve_knn_method(KnnMethod::exact, kApproximateKnnMinPoints * 10) == KnnMethod::exact);
    CHECK(resolve_knn_method(KnnMethod::approximate, 10) == KnnMethod::approximate);
    CHECK(knn_method_name(KnnMethod::approximate) == "approximate");

    // Through the entry point, with a small threshold: the progress messages name the method.
    const auto points = gaussian_mixture(600, 8, 4, 2.0, 9);
    corral::detail::KnnOptions options;
    options.approximate_min_points = 600;
    const auto messages_for = [&](const torch::Tensor& rows) {
        std::vector<std::string> messages;
        const JobContext job({}, [&](double, std::string_view message) { messages.emplace_back(message); });
        REQUIRE(corral::detail::nearest_neighbors(rows, 5, SelfMatch::exclude, job, options));
        return messages;
    };
    const auto approximate_in = [](const std::vector<std::string>& messages) {
        return std::any_of(messages.begin(), messages.end(),
                           [](const std::string& m) { return m.find("approximate") != std::string::npos; });
    };
    CHECK(corral::detail::chosen_knn_method(599, options) == KnnMethod::exact);
    CHECK(corral::detail::chosen_knn_method(600, options) == KnnMethod::approximate);
    const auto below = messages_for(points.narrow(0, 0, 599));
    REQUIRE_FALSE(below.empty());
    CHECK_FALSE(approximate_in(below));
    CHECK(approximate_in(messages_for(points)));
    options.method = KnnMethod::exact;
    CHECK_FALSE(approximate_in(messages_for(points)));
}

TEST_CASE("value mining and t-SNE's graph take their neighbours from the method asked for", "[unit][knn]") {
    const auto planted = testing::make_planted_clusters();
    ValueMinerParams params;
    params.strategy = SelectionStrategy::hard_representative;
    params.neighbor_method = KnnMethod::exact;
    ValueMiner exact_miner(params);
    params.neighbor_method = KnnMethod::approximate;
    ValueMiner approximate_miner(params);
    bool approximate_reported = false;
    const JobContext job({}, [&](double, std::string_view message) {
        approximate_reported = approximate_reported || message.find("approximate") != std::string_view::npos;
    });
    const auto exact = exact_miner.select(planted.features, planted.centres, 50);
    const auto approximate = approximate_miner.select(planted.features, planted.centres, 50, {}, {}, job);
    REQUIRE(exact);
    REQUIRE(approximate);
    CHECK(approximate_reported);
    // 8-D clusters: the index finds (nearly) every neighbour, so the sums, and the picks, agree.
    std::int64_t differing = 0;
    for (std::size_t i = 0; i < exact->representativeness.size(); ++i) {
        differing += std::abs(exact->representativeness[i] - approximate->representativeness[i]) > 1e-4;
    }
    CHECK(differing <= static_cast<std::int64_t>(exact->representativeness.size()) / 100);
    std::set<std::int64_t> exact_picks, shared;
    for (const auto& pick : exact->picks) exact_picks.insert(pick.sample);
    for (const auto& pick : approximate->picks) {
        if (exact_picks.count(pick.sample)) shared.insert(pick.sample);
    }
    CHECK(shared.size() >= 48);

    const auto points = corral::detail::to_tensor(planted.features, torch::kCPU);
    const auto exact_graph = corral::detail::neighbour_graph(points, 30, {}, KnnMethod::exact);
    const auto approximate_graph = corral::detail::neighbour_graph(points, 30, {}, KnnMethod::approximate);
    REQUIRE(exact_graph);
    REQUIRE(approximate_graph);
    const auto as_tensor = [](const corral::detail::NeighbourGraph& graph) {
        return torch::tensor(graph.indices, torch::kInt64).reshape({graph.points, graph.neighbours});
    };
    CHECK(recall(as_tensor(*approximate_graph), as_tensor(*exact_graph)) >= 0.95);
}
