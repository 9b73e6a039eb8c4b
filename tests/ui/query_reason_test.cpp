// The "why this image" words of a question, from hand-worked value-mining facts. Each case says
// the arithmetic behind its expectation: the hardness band from the distance ratio
// (1 - s1) / (1 - s2), the neighbourhood count against K = 20, and the squared distance 2 e^d to
// the nearest earlier question against the round's typical neighbour distance.
#include <catch2/catch.hpp>

#include <cmath>

#include "query_reason.h"
#include "ui_test_support.h"

using namespace corral;
using namespace corral::ui;

namespace {

QueryReasonFacts facts(double nearest_similarity, double second_similarity, std::int64_t similar_images,
                       std::int64_t earlier_questions, double diversity, double neighbour_distance_squared = 0.5) {
    QueryReasonFacts result;
    result.nearest_cluster = QStringLiteral("Cluster 3");
    result.second_cluster = QStringLiteral("Cluster 6");
    result.nearest_similarity = nearest_similarity;
    result.second_similarity = second_similarity;
    result.similar_images = similar_images;
    result.earlier_questions = earlier_questions;
    result.diversity = diversity;
    result.neighbour_distance_squared = neighbour_distance_squared;
    return result;
}

}  // namespace

TEST_CASE("the reason of a question is told in words, band by band", "[unit]") {
    // d1 = 0.20, d2 = 0.22: ratio 0.909 >= 0.9, the border. 140 >= 20: typical. Nearest earlier
    // question at 2 e^-0.03 = 1.94 > 0.5: unlike them.
    CHECK(query_reason(facts(0.80, 0.78, 140, 12, -0.03)) ==
          QStringLiteral("on the border between Cluster 3 and Cluster 6; typical of 140 similar images; "
                         "unlike earlier questions"));
    // d1 = 0.10, d2 = 0.13: ratio 0.769, between. 7 < 20: few. 2 e^log(0.05) = 0.10 <= 0.3: close.
    CHECK(query_reason(facts(0.90, 0.87, 7, 3, std::log(0.05), 0.3)) ==
          QStringLiteral("between Cluster 3 and Cluster 6, nearer Cluster 3; with only 7 similar images; "
                         "close to an earlier question"));
    // d1 = 0.10, d2 = 0.50: ratio 0.2, clearly nearer. No similar image. S empty: the first.
    CHECK(query_reason(facts(0.90, 0.50, 0, 0, 0.0)) ==
          QStringLiteral("clearly nearer Cluster 3 than Cluster 6; unlike any other image; the first question"));
}

TEST_CASE("the reason's bands change exactly at their edges", "[unit]") {
    // Ratio 0.905 (d1 = 0.181, d2 = 0.2) is the border, 0.895 (d1 = 0.179) is not.
    CHECK(query_reason(facts(0.819, 0.8, 20, 1, 0.0)).startsWith(QStringLiteral("on the border")));
    CHECK(query_reason(facts(0.821, 0.8, 20, 1, 0.0)).startsWith(QStringLiteral("between")));
    // Ratio 0.755 (d1 = 0.151) is between, 0.745 (d1 = 0.149) clearly nearer.
    CHECK(query_reason(facts(0.849, 0.8, 20, 1, 0.0)).startsWith(QStringLiteral("between")));
    CHECK(query_reason(facts(0.851, 0.8, 20, 1, 0.0)).startsWith(QStringLiteral("clearly nearer")));
    // Twenty similar images is typical, nineteen few, one is said in the singular.
    CHECK(query_reason(facts(0.8, 0.8, 20, 1, 0.0)).contains(QStringLiteral("; typical of 20 similar images;")));
    CHECK(query_reason(facts(0.8, 0.8, 19, 1, 0.0)).contains(QStringLiteral("; with only 19 similar images;")));
    CHECK(query_reason(facts(0.8, 0.8, 1, 1, 0.0)).contains(QStringLiteral("; with only 1 similar image;")));
    // An earlier question at squared distance 2 e^d against 0.5: 0.498 is close, 0.52 is not.
    CHECK(query_reason(facts(0.8, 0.8, 20, 4, std::log(0.249))).endsWith(QStringLiteral("close to an earlier question")));
    CHECK(query_reason(facts(0.8, 0.8, 20, 4, std::log(0.26))).endsWith(QStringLiteral("unlike earlier questions")));
    // Without the round's typical distance a cosine of 0.9 (squared distance 0.2) is the edge.
    CHECK(query_reason(facts(0.8, 0.8, 20, 4, std::log(0.09), 0.0)).endsWith(QStringLiteral("close to an earlier question")));
    CHECK(query_reason(facts(0.8, 0.8, 20, 4, std::log(0.11), 0.0)).endsWith(QStringLiteral("unlike earlier questions")));
}

TEST_CASE("the reason tells only the terms the strategy chose by", "[unit]") {
    auto told = facts(0.80, 0.78, 140, 12, -0.03);
    told.strategy = SelectionStrategy::hard;
    CHECK(query_reason(told) == QStringLiteral("on the border between Cluster 3 and Cluster 6"));
    told.strategy = SelectionStrategy::hard_representative;
    CHECK(query_reason(told) == QStringLiteral("on the border between Cluster 3 and Cluster 6; typical of 140 similar images"));
    told.strategy = SelectionStrategy::random;
    CHECK(query_reason(told) == QStringLiteral("picked at random; on the border between Cluster 3 and Cluster 6"));
    // Unknown neighbourhood (a round planned without representativeness): nothing said about it.
    told = facts(0.80, 0.78, -1, 12, -0.03);
    CHECK(query_reason(told) == QStringLiteral("on the border between Cluster 3 and Cluster 6; unlike earlier questions"));
    // A clustering of one candidate only.
    told.second_cluster.clear();
    CHECK(query_reason(told) == QStringLiteral("nearest Cluster 3; unlike earlier questions"));
}

TEST_CASE("the facts of a question name its two nearest candidates as the app does", "[unit]") {
    SessionQuery query;
    query.sample = 7;
    query.strategy = SelectionStrategy::hard_representative;
    query.similar_images = 33;
    query.neighbour_distance_squared = 0.25;
    query.earlier_questions = 5;
    query.diversity = -0.7;
    for (const auto& [cluster, similarity] : {std::pair{2, 0.71}, {0, 0.69}, {4, 0.4}}) {
        SessionCandidate candidate;
        candidate.cluster = cluster;
        candidate.similarity = similarity;
        query.candidates.push_back(candidate);
    }
    ClusteringView clustering;
    clustering.names = {QStringLiteral("Cluster 1"), QStringLiteral("Cluster 2"), QStringLiteral("Sandals"),
                        QStringLiteral("Cluster 4"), QStringLiteral("Cluster 5")};
    const auto made = reason_facts(query, clustering);
    CHECK(made.nearest_cluster == QStringLiteral("Sandals"));
    CHECK(made.second_cluster == QStringLiteral("Cluster 1"));
    CHECK(made.nearest_similarity == 0.71);
    CHECK(made.second_similarity == 0.69);
    CHECK(made.strategy == SelectionStrategy::hard_representative);
    CHECK(made.similar_images == 33);
    CHECK(made.neighbour_distance_squared == 0.25);
    CHECK(made.earlier_questions == 5);
    CHECK(made.diversity == -0.7);
    // d1 = 0.29, d2 = 0.31: ratio 0.935, the border.
    CHECK(query_reason(made) == QStringLiteral("on the border between Sandals and Cluster 1; typical of 33 similar images"));
}
