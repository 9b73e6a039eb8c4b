#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <set>

#include "corral/core/dataset.h"
#include "corral/core/encoder.h"
#include "corral/core/kmeans.h"
#include "corral/core/metrics.h"
#include "test_support.h"

using namespace corral;

namespace {

// Three tight groups around (0,0), (10,0), (0,10), four points each at distance 1 from the centre.
FloatMatrix three_groups() {
    const float centres[3][2] = {{0, 0}, {10, 0}, {0, 10}};
    const float offsets[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
    FloatMatrix points(12, 2);
    for (int g = 0; g < 3; ++g) {
        for (int o = 0; o < 4; ++o) {
            points(g * 4 + o, 0) = centres[g][0] + offsets[o][0];
            points(g * 4 + o, 1) = centres[g][1] + offsets[o][1];
        }
    }
    return points;
}

double inertia_of(const FloatMatrix& points, const KMeansResult& result) {
    double total = 0.0;
    for (std::int64_t i = 0; i < points.rows(); ++i) {
        for (std::int64_t d = 0; d < points.cols(); ++d) {
            const double diff = points(i, d) - result.centres(result.assignment[static_cast<std::size_t>(i)], d);
            total += diff * diff;
        }
    }
    return total;
}

}  // namespace

TEST_CASE("k-means recovers a hand-made grouping exactly", "[unit]") {
    const FloatMatrix points = three_groups();
    KMeansParams params;
    params.clusters = 3;
    auto result = run_kmeans(points, params);
    REQUIRE(result);
    // Each group of four lands in one cluster, and the three clusters differ.
    std::set<int> used;
    for (int g = 0; g < 3; ++g) {
        for (int o = 1; o < 4; ++o) CHECK(result->assignment[g * 4 + o] == result->assignment[g * 4]);
        used.insert(result->assignment[g * 4]);
    }
    CHECK(used.size() == 3);
    CHECK(result->inertia == Approx(12.0).epsilon(1e-6));  // 12 points at squared distance 1
    CHECK(result->inertia == Approx(inertia_of(points, *result)).epsilon(1e-6));
}

TEST_CASE("k-means is deterministic for a seed and validates its input", "[unit]") {
    std::mt19937 rng(3);
    std::normal_distribution<float> noise;
    FloatMatrix points(500, 8);
    for (auto& v : points.values()) v = noise(rng);
    KMeansParams params;
    params.clusters = 7;
    params.seed = 11;
    auto first = run_kmeans(points, params);
    auto second = run_kmeans(points, params);
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->assignment == second->assignment);
    CHECK(first->inertia == second->inertia);

    params.clusters = 501;
    auto too_many = run_kmeans(points, params);
    REQUIRE_FALSE(too_many);
    CHECK(too_many.error().code == ErrorCode::invalid_argument);
    points(3, 3) = std::nanf("");
    params.clusters = 3;
    auto with_nan = run_kmeans(points, params);
    REQUIRE_FALSE(with_nan);
    CHECK(with_nan.error().code == ErrorCode::invalid_argument);
}

TEST_CASE("cosine k-means assigns each point to its most similar unit centre", "[unit]") {
    std::mt19937 rng(5);
    std::normal_distribution<float> noise;
    FloatMatrix points(300, 6);
    for (auto& v : points.values()) v = noise(rng);
    KMeansParams params;
    params.clusters = 4;
    params.metric = DistanceMetric::cosine;
    auto result = run_kmeans(points, params);
    REQUIRE(result);
    FloatMatrix unit = points;
    normalize_rows(unit);
    for (std::int64_t k = 0; k < 4; ++k) {
        double norm = 0;
        for (float v : result->centres.row(k)) norm += v * v;
        CHECK(std::sqrt(norm) == Approx(1.0).epsilon(1e-4));
    }
    for (std::int64_t i = 0; i < unit.rows(); ++i) {
        int best = -1;
        double best_similarity = -2;
        for (int k = 0; k < 4; ++k) {
            double similarity = 0;
            for (std::int64_t d = 0; d < 6; ++d) similarity += unit(i, d) * result->centres(k, d);
            if (similarity > best_similarity) { best_similarity = similarity; best = k; }
        }
        CHECK(result->assignment[static_cast<std::size_t>(i)] == best);
    }
}

TEST_CASE("k-means inertia matches scikit-learn's on a Fashion-MNIST sample", "[unit][oracle]") {
    DatasetOptions options;
    options.limit = 2000;
    auto dataset = open_dataset("fashion-mnist:test", options);
    REQUIRE(dataset);
    auto encoder = create_image_encoder("pixels");
    REQUIRE(encoder);
    auto features = (*encoder)->encode(**dataset, {});
    REQUIRE(features);
    KMeansParams params;
    params.clusters = 10;
    params.restarts = 10;
    auto ours = run_kmeans(*features, params);
    REQUIRE(ours);

    testing::TempDir scratch;
    testing::write_floats(scratch / "features.f32", *features);
    const auto reference = testing::parse_doubles(testing::run_python_oracle(
        "kmeans_oracle.py", {(scratch / "features.f32").string(), std::to_string(features->rows()),
                             std::to_string(features->cols()), "10", "10", "0"}));
    REQUIRE(reference.size() == 1);
    INFO("ours " << ours->inertia << ", sklearn " << reference[0]);
    // Different seeds reach different local optima; ten restarts each must land within 1%.
    CHECK(ours->inertia == Approx(reference[0]).epsilon(0.01));
    CHECK(ours->inertia == Approx(inertia_of(*features, *ours)).epsilon(1e-6));
    const auto scores = score_clustering((*dataset)->labels(), ours->assignment);
    CHECK(scores.nmi > 0.4);
}
