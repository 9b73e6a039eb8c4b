#include <catch2/catch.hpp>
#include <algorithm>

#include <torch/torch.h>

#include <cmath>
#include <set>

#include "corral/core/value_mining.h"
#include "planted_clusters.h"
#include "tensor_bridge.h"

using namespace corral;

namespace {

FloatMatrix random_matrix(std::int64_t rows, std::int64_t cols, std::uint64_t seed) {
    torch::manual_seed(seed);
    return corral::detail::to_matrix(torch::randn({rows, cols}));
}

std::vector<std::int64_t> samples_of(const Selection& selection) {
    std::vector<std::int64_t> samples;
    for (const auto& pick : selection.picks) samples.push_back(pick.sample);
    return samples;
}

int nearest_centre(const FloatMatrix& features, const FloatMatrix& centres, std::int64_t row) {
    int best = 0;
    double best_cosine = -2.0;
    for (std::int64_t k = 0; k < centres.rows(); ++k) {
        double dot = 0, norm_a = 0, norm_b = 0;
        for (std::int64_t d = 0; d < features.cols(); ++d) {
            dot += features(row, d) * centres(k, d);
            norm_a += features(row, d) * features(row, d);
            norm_b += centres(k, d) * centres(k, d);
        }
        const double cosine = dot / std::sqrt(norm_a * norm_b);
        if (cosine > best_cosine) { best_cosine = cosine; best = static_cast<int>(k); }
    }
    return best;
}

}  // namespace

TEST_CASE("lazy greedy picks exactly what the plain greedy picks", "[unit][idc]") {
    for (std::uint64_t seed : {1, 2}) {
        auto features = random_matrix(2000, 12, seed);
        // Exact duplicates create ties that both methods must break the same way.
        for (std::int64_t r = 0; r < 40; ++r) {
            for (std::int64_t d = 0; d < 12; ++d) features(1000 + r, d) = features(r, d);
        }
        const auto centres = random_matrix(6, 12, seed + 100);
        const std::vector<std::int64_t> excluded{5, 17, 1999};
        ValueMinerParams params;
        params.weights = {1.0, 0.7, 1.3};
        ValueMiner lazy(params);
        params.greedy = GreedyMethod::recompute;
        ValueMiner plain(params);
        params.greedy = GreedyMethod::incremental;
        ValueMiner incremental(params);
        auto lazy_pick = lazy.select(features, centres, 100, excluded);
        auto plain_pick = plain.select(features, centres, 100, excluded);
        auto incremental_pick = incremental.select(features, centres, 100, excluded);
        REQUIRE(lazy_pick);
        REQUIRE(plain_pick);
        REQUIRE(incremental_pick);
        REQUIRE(samples_of(*lazy_pick) == samples_of(*plain_pick));
        REQUIRE(samples_of(*incremental_pick) == samples_of(*plain_pick));
        CHECK(lazy_pick->diversity_evaluations < plain_pick->diversity_evaluations / 20);
        std::set<std::int64_t> distinct;
        for (const auto& pick : lazy_pick->picks) {
            distinct.insert(pick.sample);
            CHECK(pick.sample != 5);
            CHECK(pick.sample != 17);
            CHECK(pick.sample != 1999);
        }
        CHECK(distinct.size() == 100);
        // A pick's recorded value is its terms weighted; values never rise along the greedy order
        // once diversity is in play (from the second pick on).
        for (std::size_t m = 0; m < lazy_pick->picks.size(); ++m) {
            const auto& pick = lazy_pick->picks[m];
            CHECK(pick.value == Approx(pick.hardness + 0.7 * pick.representativeness + 1.3 * pick.diversity));
            if (m >= 2) CHECK(pick.value <= lazy_pick->picks[m - 1].value + 1e-12);
        }
    }
}

TEST_CASE("value terms follow their definitions", "[unit][idc]") {
    const auto features = random_matrix(200, 5, 9);
    const auto centres = random_matrix(3, 5, 10);
    ValueMinerParams params;
    params.neighbors = 4;
    ValueMiner miner(params);
    auto selection = miner.select(features, centres, 3);
    REQUIRE(selection);
    // Recompute in float64 by hand for a few samples.
    auto z = torch::from_blob(const_cast<float*>(features.data()), {200, 5}).to(torch::kFloat64);
    z = z / z.norm(2, 1, true);
    auto c = torch::from_blob(const_cast<float*>(centres.data()), {3, 5}).to(torch::kFloat64);
    c = c / c.norm(2, 1, true);
    for (std::int64_t i : {0, 50, 199}) {
        auto cosines = std::get<0>(z[i].matmul(c.t()).sort(0, true));
        const double hardness = std::log(1.0 - cosines[0].item<double>() + cosines[1].item<double>());
        CHECK(selection->hardness[static_cast<std::size_t>(i)] == Approx(hardness).margin(1e-5));
        auto distances = std::get<0>((z - z[i]).pow(2).sum(1).sort(0));
        const double representativeness = -std::log(distances.narrow(0, 0, 4).sum().item<double>());
        CHECK(selection->representativeness[static_cast<std::size_t>(i)] == Approx(representativeness).epsilon(1e-4));
    }
    const auto& picks = selection->picks;
    REQUIRE(picks.size() == 3);
    CHECK(picks[0].diversity == 0.0);
    const double dot = z[picks[0].sample].dot(z[picks[1].sample]).item<double>();
    CHECK(picks[1].diversity == Approx(std::log(1.0 - dot)).margin(1e-9));
}

TEST_CASE("hardness picks the boundary points of a planted dataset", "[unit][idc]") {
    const auto data = testing::make_planted_clusters();
    ValueMinerParams params;
    params.strategy = SelectionStrategy::hard;
    ValueMiner miner(params);
    auto selection = miner.select(data.features, data.centres, 50);
    REQUIRE(selection);
    int in_band = 0;
    for (const auto& pick : selection->picks) in_band += data.in_band[static_cast<std::size_t>(pick.sample)];
    CHECK(in_band >= 48);

    params.strategy = SelectionStrategy::random;
    auto random = ValueMiner(params).select(data.features, data.centres, 50);
    REQUIRE(random);
    int random_in_band = 0;
    for (const auto& pick : random->picks) random_in_band += data.in_band[static_cast<std::size_t>(pick.sample)];
    CHECK(random_in_band < 20);  // the band is 200 of 1400 points
}

TEST_CASE("diversity spreads the picks over the clusters", "[unit][idc]") {
    const auto data = testing::make_planted_clusters();
    const auto clusters_covered = [&](SelectionStrategy strategy) {
        ValueMinerParams params;
        params.strategy = strategy;
        auto selection = ValueMiner(params).select(data.features, data.centres, 12);
        REQUIRE(selection);
        std::set<int> covered;
        for (const auto& pick : selection->picks) covered.insert(nearest_centre(data.features, data.centres, pick.sample));
        return covered.size();
    };
    CHECK(clusters_covered(SelectionStrategy::hard_representative) == 2);
    CHECK(clusters_covered(SelectionStrategy::hard_representative_diverse) == 4);
}

TEST_CASE("value mining rejects bad input", "[unit][idc]") {
    const auto features = random_matrix(50, 4, 1);
    ValueMiner miner;
    CHECK_FALSE(miner.select(features, random_matrix(1, 4, 2), 5));
    CHECK_FALSE(miner.select(features, random_matrix(3, 5, 2), 5));
    const std::vector<std::int64_t> outside{50};
    CHECK_FALSE(miner.select(features, random_matrix(3, 4, 2), 5, outside));
    ValueMinerParams params;
    params.weights.diversity = -1.0;
    CHECK_FALSE(ValueMiner(params).select(features, random_matrix(3, 4, 2), 5));
    // More picks than candidates: every eligible sample, once.
    auto all = miner.select(features, random_matrix(3, 4, 2), 80);
    REQUIRE(all);
    CHECK(all->picks.size() == 50);
}

TEST_CASE("value mining works on collections smaller than K and takes earlier answers as seeds", "[unit][idc]") {
    // Ten images and K = 20: every other image is a neighbour (this used to be refused).
    const auto features = random_matrix(10, 4, 3);
    ValueMiner miner;
    auto tiny = miner.select(features, random_matrix(3, 4, 4), 5);
    REQUIRE(tiny);
    CHECK(tiny->picks.size() == 5);
    CHECK(tiny->representativeness.size() == 10);

    // Seeds join S before the first pick: the three greedy methods still agree, and the first
    // pick's diversity is measured against the seeds (0 means S was empty).
    const auto points = random_matrix(400, 8, 5);
    const auto centres = random_matrix(4, 8, 6);
    const std::vector<std::int64_t> seeds{3, 50, 120, 399};
    std::vector<std::vector<std::int64_t>> picks;
    for (const auto method : {GreedyMethod::lazy, GreedyMethod::incremental, GreedyMethod::recompute}) {
        ValueMinerParams params;
        params.greedy = method;
        auto selection = ValueMiner(params).select(points, centres, 30, seeds, seeds);
        REQUIRE(selection);
        CHECK(selection->picks.front().diversity != 0.0);
        std::vector<std::int64_t> samples;
        for (const auto& pick : selection->picks) samples.push_back(pick.sample);
        for (const auto seed : seeds) CHECK(std::find(samples.begin(), samples.end(), seed) == samples.end());
        picks.push_back(samples);
    }
    CHECK(picks[0] == picks[1]);
    CHECK(picks[0] == picks[2]);
    auto unseeded = ValueMiner().select(points, centres, 30, seeds);
    REQUIRE(unseeded);
    CHECK(unseeded->picks.front().diversity == 0.0);
    const std::vector<std::int64_t> outside{400};
    CHECK_FALSE(ValueMiner().select(points, centres, 5, {}, outside));
}
