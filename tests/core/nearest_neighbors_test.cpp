#include <catch2/catch.hpp>

#include <torch/torch.h>

#include "corral/core/nearest_neighbors.h"
#include "knn.h"
#include "tensor_bridge.h"

using namespace corral;

namespace {

FloatMatrix random_points(std::int64_t n, std::int64_t dimension, std::uint64_t seed) {
    torch::manual_seed(seed);
    return corral::detail::to_matrix(torch::randn({n, dimension}));
}

}  // namespace

TEST_CASE("blocked kNN equals a float64 brute force across several blocks", "[unit][knn]") {
    torch::manual_seed(3);
    const auto points = torch::randn({1500, 6});
    const int k = 7;
    // Small tiles so that the points span several, uneven at the end: 448 leaves a last tile
    // of 156 (a column strip of 12), 37 makes 41 tiles of odd width.
    const auto side = GENERATE(448, 37);
    const corral::detail::KnnBlocks blocks{side};
    auto all = points.to(torch::kFloat64);
    auto brute = torch::cdist(all, all).pow(2);
    for (auto self : {corral::detail::SelfMatch::include, corral::detail::SelfMatch::exclude}) {
        auto found = corral::detail::exact_nearest_neighbors(points, k, self, {}, blocks);
        REQUIRE(found);
        auto distances = brute.clone();
        if (self == corral::detail::SelfMatch::exclude) distances.fill_diagonal_(std::numeric_limits<double>::infinity());
        else distances.fill_diagonal_(0.0);
        auto [expected_distances, expected_indices] = distances.topk(k, 1, false, true);
        const double error = ((found->squared_distances.to(torch::kFloat64) - expected_distances).abs() /
                              (1.0 + expected_distances)).max().item<double>();
        CHECK(error < 1e-5);
        // Index order may differ only where two distances tie to float precision.
        CHECK((found->indices != expected_indices).sum().item<std::int64_t>() <= 2);
        if (self == corral::detail::SelfMatch::include) {
            CHECK(torch::equal(found->indices.select(1, 0), torch::arange(1500)));
            CHECK(found->squared_distances.select(1, 0).abs().max().item<float>() == 0.0f);
        } else {
            CHECK((found->indices != torch::arange(1500).unsqueeze(1)).all().item<bool>());
        }
    }
}

TEST_CASE("public kNN returns rows of K sorted neighbours", "[unit][knn]") {
    const auto points = random_points(300, 4, 5);
    auto found = find_nearest_neighbors(points, 5, IncludeSelf::no);
    REQUIRE(found);
    REQUIRE(found->indices.size() == 1500);
    for (std::int64_t r = 0; r < 300; ++r) {
        for (int j = 0; j < 5; ++j) {
            const auto position = static_cast<std::size_t>(r * 5 + j);
            CHECK(found->indices[position] != r);
            double distance = 0;
            for (int d = 0; d < 4; ++d) {
                const double diff = points(r, d) - points(found->indices[position], d);
                distance += diff * diff;
            }
            CHECK(found->squared_distances[position] == Approx(distance).margin(1e-5));
            if (j > 0) CHECK(found->squared_distances[position] >= found->squared_distances[position - 1]);
        }
    }
}

TEST_CASE("kNN rejects impossible requests and honours the stop token", "[unit][knn]") {
    const auto points = random_points(10, 3, 1);
    CHECK_FALSE(find_nearest_neighbors(points, 0, IncludeSelf::yes));
    CHECK_FALSE(find_nearest_neighbors(points, 10, IncludeSelf::no));
    CHECK(find_nearest_neighbors(points, 10, IncludeSelf::yes));
    std::stop_source stop;
    stop.request_stop();
    auto cancelled = find_nearest_neighbors(points, 3, IncludeSelf::yes, JobContext(stop.get_token(), {}));
    REQUIRE_FALSE(cancelled);
    CHECK(cancelled.error().code == ErrorCode::cancelled);
}

TEST_CASE("kNN distances stay exact far from the origin", "[unit][knn]") {
    // |q|^2 - 2 q.r + |r|^2 cancels almost every digit when the points sit far from the origin
    // compared with their spacing: the kNN centres the points for the ranking and sums the kept
    // neighbours' distances from coordinate differences.
    torch::manual_seed(11);
    const auto points = (torch::randn({900, 50}) * 0.05 + 30.0).contiguous();
    const int k = 20;
    auto found = corral::detail::exact_nearest_neighbors(points, k, corral::detail::SelfMatch::exclude, {}, {320});
    REQUIRE(found);
    auto all = points.to(torch::kFloat64);
    auto brute = torch::cdist(all, all).pow(2);
    brute.fill_diagonal_(std::numeric_limits<double>::infinity());
    auto [expected_distances, expected_indices] = brute.topk(k, 1, false, true);
    const double error =
        ((found->squared_distances.to(torch::kFloat64) - expected_distances).abs() / expected_distances).max().item<double>();
    CHECK(error < 1e-4);
    // The ranking, decided by the expanded form, is exact but for near-ties.
    const auto mismatched = (found->indices != expected_indices).sum().item<std::int64_t>();
    CHECK(mismatched <= 900 * k / 100);
    const auto recall = static_cast<double>(
        (found->indices.unsqueeze(2) == expected_indices.unsqueeze(1)).any(2).sum().item<std::int64_t>());
    CHECK(recall / (900.0 * k) > 0.97);
}
