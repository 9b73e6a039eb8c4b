#include <catch2/catch.hpp>

#include <fstream>
#include <random>

#include "corral/core/metrics.h"
#include "test_support.h"

using namespace corral;

namespace {

struct Case {
    std::vector<int> truth;
    std::vector<int> predicted;
};

std::vector<int> random_labels(std::mt19937& rng, std::size_t n, int values) {
    std::uniform_int_distribution<int> draw(0, values - 1);
    std::vector<int> labels(n);
    for (auto& label : labels) label = draw(rng);
    return labels;
}

std::vector<Case> metric_cases() {
    std::vector<Case> cases;
    const std::vector<int> six{0, 0, 1, 1, 2, 2};
    cases.push_back({six, six});                              // perfect
    cases.push_back({six, {5, 5, 3, 3, 9, 9}});               // perfect up to renaming
    cases.push_back({six, {0, 0, 0, 0, 0, 0}});               // one cluster
    cases.push_back({{0, 0, 0, 0}, {0, 0, 0, 0}});            // one class, one cluster
    cases.push_back({{0, 0, 0, 0}, {0, 1, 2, 3}});            // one class, all singletons
    cases.push_back({six, {0, 1, 2, 3, 4, 5}});               // all singletons
    cases.push_back({{0, 1, 2, 3, 4, 5}, {0, 1, 2, 3, 4, 5}});  // singletons both sides
    cases.push_back({{0, 1}, {1, 0}});
    cases.push_back({{0, 0, 1, 1}, {0, 1, 0, 1}});            // independent
    cases.push_back({{7}, {3}});                               // a single item
    std::mt19937 rng(42);
    for (int trial = 0; trial < 60; ++trial) {
        const std::size_t n = 2 + rng() % 400;
        const int classes = 1 + static_cast<int>(rng() % 12);
        const int clusters = 1 + static_cast<int>(rng() % 15);  // often unequal to classes
        cases.push_back({random_labels(rng, n, classes), random_labels(rng, n, clusters)});
    }
    // Correlated: mostly right with noise, as real clusterings are.
    for (int trial = 0; trial < 20; ++trial) {
        const std::size_t n = 50 + rng() % 2000;
        Case c{random_labels(rng, n, 10), {}};
        c.predicted = c.truth;
        for (auto& p : c.predicted) {
            if (rng() % 3 == 0) p = static_cast<int>(rng() % 13);
            else p = (p * 7 + 3) % 10;  // renamed clusters
        }
        cases.push_back(c);
    }
    return cases;
}

}  // namespace

TEST_CASE("clustering metrics agree with scikit-learn to 1e-9", "[unit][oracle]") {
    const auto cases = metric_cases();
    testing::TempDir scratch;
    {
        std::ofstream out(scratch / "cases.txt");
        for (const auto& c : cases) {
            for (int v : c.truth) out << v << ' ';
            out << '\n';
            for (int v : c.predicted) out << v << ' ';
            out << '\n';
        }
    }
    const auto reference = testing::parse_doubles(testing::run_python_oracle("metrics_oracle.py", {(scratch / "cases.txt").string()}));
    REQUIRE(reference.size() == cases.size() * 4);
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i << " with " << cases[i].truth.size() << " items");
        const auto scores = score_clustering(cases[i].truth, cases[i].predicted);
        CHECK(scores.nmi == Approx(reference[4 * i]).margin(1e-9));
        CHECK(scores.ari == Approx(reference[4 * i + 1]).margin(1e-9));
        CHECK(scores.ri == Approx(reference[4 * i + 2]).margin(1e-9));
        CHECK(scores.acc == Approx(reference[4 * i + 3]).margin(1e-9));
    }
}

TEST_CASE("hand-worked metrics", "[unit]") {
    // truth 0 0 0 1 1 1, predicted 0 0 1 1 1 1: best map 0->0, 1->1 gets 5 of 6.
    const std::vector<int> truth{0, 0, 0, 1, 1, 1}, predicted{0, 0, 1, 1, 1, 1};
    CHECK(clustering_accuracy(truth, predicted) == Approx(5.0 / 6.0));
    // Pairs: 15 unordered; agreeing pairs: same-same {01,34,35,45}=4, diff-diff {03,04,05,13,14,15}=6 → 10/15.
    CHECK(rand_index(truth, predicted) == Approx(10.0 / 15.0));
    CHECK(normalized_mutual_information(truth, truth) == Approx(1.0));
    CHECK(adjusted_rand_index(truth, truth) == Approx(1.0));
}

TEST_CASE("unlabelled items are left out of the scores", "[unit]") {
    const std::vector<int> truth{0, 0, -1, 1, 1, -1}, predicted{3, 3, 3, 4, 4, 4};
    const auto scores = score_clustering(truth, predicted);
    CHECK(scores.evaluated == 4);
    CHECK(scores.acc == Approx(1.0));
    CHECK(scores.nmi == Approx(1.0));
}

TEST_CASE("assignment solver finds the optimum of small problems", "[unit]") {
    std::mt19937 rng(7);
    for (int trial = 0; trial < 200; ++trial) {
        const int rows = 1 + static_cast<int>(rng() % 6);
        const int cols = rows + static_cast<int>(rng() % 3);
        std::vector<double> cost(static_cast<std::size_t>(rows * cols));
        for (auto& c : cost) c = static_cast<double>(rng() % 100) - 50.0;
        const auto assignment = solve_assignment(cost, rows, cols);
        double found = 0.0;
        std::vector<int> used(static_cast<std::size_t>(cols), 0);
        for (int r = 0; r < rows; ++r) {
            REQUIRE(assignment[r] >= 0);
            REQUIRE(assignment[r] < cols);
            REQUIRE(used[assignment[r]] == 0);
            used[assignment[r]] = 1;
            found += cost[static_cast<std::size_t>(r * cols + assignment[r])];
        }
        // Brute force over all injective maps.
        std::vector<int> columns(static_cast<std::size_t>(cols));
        for (int c = 0; c < cols; ++c) columns[c] = c;
        double best = 1e300;
        do {
            double total = 0.0;
            for (int r = 0; r < rows; ++r) total += cost[static_cast<std::size_t>(r * cols + columns[r])];
            best = std::min(best, total);
        } while (std::next_permutation(columns.begin(), columns.end()));
        CHECK(found == Approx(best));
    }
}

TEST_CASE("best cluster-to-class map follows the majority", "[unit]") {
    const std::vector<int> truth{0, 0, 0, 1, 1, 2, 2, 2}, predicted{2, 2, 2, 0, 0, 1, 1, 5};
    const auto map = best_cluster_to_class_map(truth, predicted);
    REQUIRE(map.size() == 6);
    CHECK(map[2] == 0);
    CHECK(map[0] == 1);
    CHECK(map[1] == 2);
    CHECK(map[5] == -1);  // more clusters than classes: one stays unmapped
}
