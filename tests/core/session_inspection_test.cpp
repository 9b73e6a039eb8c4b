// What a question tells about its image beyond the three terms: the round's typical neighbour
// distance, the size of the image's dense neighbourhood, the diversity set it was picked
// against, and a cluster's images most typical first. Checked against brute force on the
// session's own features.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "corral/core/dataset.h"
#include "corral/core/interactive_session.h"
#include "corral/core/value_mining.h"
#include "test_support.h"

using namespace corral;

namespace {

double squared_distance(const FloatMatrix& features, std::int64_t a, std::int64_t b) {
    double sum = 0.0;
    for (std::int64_t d = 0; d < features.cols(); ++d) {
        const double difference = double(features(a, d)) - features(b, d);
        sum += difference * difference;
    }
    return sum;
}

// The median over images of the mean squared distance to their `others` nearest other images.
double brute_typical_distance(const FloatMatrix& features, int others) {
    std::vector<double> means;
    for (std::int64_t i = 0; i < features.rows(); ++i) {
        std::vector<double> distances;
        for (std::int64_t j = 0; j < features.rows(); ++j) {
            if (j != i) distances.push_back(squared_distance(features, i, j));
        }
        std::partial_sort(distances.begin(), distances.begin() + others, distances.end());
        double sum = 0.0;
        for (int k = 0; k < others; ++k) sum += distances[static_cast<std::size_t>(k)];
        means.push_back(sum / others);
    }
    std::sort(means.begin(), means.end());
    return means[means.size() / 2];
}

std::int64_t brute_count_within(const FloatMatrix& features, std::int64_t sample, double distance_squared) {
    std::int64_t count = 0;
    for (std::int64_t j = 0; j < features.rows(); ++j) {
        if (j != sample && squared_distance(features, sample, j) <= distance_squared) ++count;
    }
    return count;
}

}  // namespace

TEST_CASE("the neighbour distance of a collection and the neighbourhood of one image", "[unit]") {
    // K = 3 (the image and 2 others): sums 0.2, 0.4, 1.0 are means 0.1, 0.2, 0.5; the median 0.2.
    const std::vector<double> representativeness = {-std::log(0.2), -std::log(1.0), -std::log(0.4)};
    CHECK(typical_neighbour_distance_squared(representativeness, 3) == Approx(0.2));
    // Four values: means 0.1, 0.4, 0.2, 0.3; the upper median 0.3.
    const std::vector<double> four = {-std::log(0.2), -std::log(0.8), -std::log(0.4), -std::log(0.6)};
    CHECK(typical_neighbour_distance_squared(four, 3) == Approx(0.3));
    CHECK(typical_neighbour_distance_squared(representativeness, 1) == 0.0);
    CHECK(typical_neighbour_distance_squared({}, 20) == 0.0);

    // Unit vectors at 0, 10, 20, 90 and 180 degrees, and a copy of the first: squared distances
    // from the first 2 - 2 cos = 0.0304, 0.1206, 2, 4 and 0.
    FloatMatrix points(6, 2);
    const double degrees[] = {0, 10, 20, 90, 180, 0};
    for (int i = 0; i < 6; ++i) {
        points(i, 0) = static_cast<float>(std::cos(degrees[i] * M_PI / 180.0));
        points(i, 1) = static_cast<float>(std::sin(degrees[i] * M_PI / 180.0));
    }
    CHECK(*count_neighbours_within(points, 0, 0.01) == 1);  // the copy
    CHECK(*count_neighbours_within(points, 0, 0.1) == 2);
    CHECK(*count_neighbours_within(points, 0, 0.2) == 3);
    CHECK(*count_neighbours_within(points, 0, 2.5) == 4);
    CHECK(*count_neighbours_within(points, 0, 4.5) == 5);
    CHECK(*count_neighbours_within(points, 3, 0.5) == 0);  // 90 degrees: nothing near
    CHECK_FALSE(count_neighbours_within(points, 6, 1.0));
    CHECK_FALSE(count_neighbours_within(points, -1, 1.0));
}

TEST_CASE("a question knows its image's neighbourhood and the set it was picked against", "[unit][session]") {
    if (!find_fashion_mnist()) {
        WARN("Fashion-MNIST is not installed (dataset-fashion-mnist); nothing to check");
        return;
    }
    testing::TempDir folder;
    const auto path = folder / "inspection.corral";
    SessionSettings settings;
    settings.dataset_spec = "fashion-mnist:test";
    settings.limit = 300;
    settings.encoder_spec = "pixels";
    settings.clusters = 5;
    settings.round_size = 3;
    auto created = InteractiveSession::create(path, settings, {});
    REQUIRE(created);
    auto& session = **created;
    const auto features = session.features();
    const double typical = brute_typical_distance(*features, 19);  // K = 20, the image itself one of them

    auto plan = session.plan_round(3, {});
    REQUIRE(plan);
    CHECK(plan->neighbour_distance_squared == Approx(typical).epsilon(1e-4));
    REQUIRE(session.adopt_round(*plan));
    auto query = session.current_query();
    REQUIRE(query);
    CHECK(query->strategy == SelectionStrategy::hard_representative_diverse);
    CHECK(query->earlier_questions == 0);
    CHECK(query->similar_images == -1);  // not counted unless asked
    CHECK(query->neighbour_distance_squared == plan->neighbour_distance_squared);
    const auto similar = session.similar_images(*query);
    REQUIRE(similar);
    CHECK(*similar == brute_count_within(*features, query->sample, query->neighbour_distance_squared));
    CHECK(session.similar_images(*query) == similar);  // asked again: the same

    // A cluster's images, the most typical first: the question's exemplars lead the list.
    const auto& candidate = query->candidates.front();
    const auto members = session.typical_members(candidate.cluster);
    std::int64_t size = 0;
    for (const int cluster : session.clustering().assignment) size += cluster == candidate.cluster;
    CHECK(static_cast<std::int64_t>(members.size()) == size);
    REQUIRE(members.size() >= candidate.exemplars.size());
    CHECK(std::vector<std::int64_t>(members.begin(), members.begin() + static_cast<std::ptrdiff_t>(candidate.exemplars.size())) ==
          candidate.exemplars);
    CHECK(session.typical_members(candidate.cluster, 2) ==
          std::vector<std::int64_t>(members.begin(), members.begin() + 2));
    CHECK(session.typical_members(99).empty());

    // The second question was picked against the first; a reopened project still knows it all.
    REQUIRE(session.answer(AnswerKind::skip, -1));
    CHECK(session.current_query()->earlier_questions == 1);
    REQUIRE(session.answer(AnswerKind::positive, session.current_query()->candidates.front().cluster));
    const auto third = *session.current_query();
    CHECK(third.earlier_questions == 2);
    created->reset();
    auto reopened = InteractiveSession::open(path, {});
    REQUIRE(reopened);
    const auto again = (*reopened)->current_query();
    REQUIRE(again);
    CHECK(again->sample == third.sample);
    CHECK(again->earlier_questions == 2);
    CHECK(again->neighbour_distance_squared == third.neighbour_distance_squared);

    // The next round is seeded with the two answers (a skip is not one): its first question
    // was picked against one earlier answer.
    REQUIRE((*reopened)->answer(AnswerKind::skip, -1));
    auto next = (*reopened)->plan_round(2, {});
    REQUIRE(next);
    REQUIRE((*reopened)->adopt_round(*next));
    CHECK((*reopened)->current_query()->earlier_questions == 1);
}
