#include <catch2/catch.hpp>

#include "corral/core/feedback_training.h"
#include "corral/core/kmeans.h"
#include "corral/core/metrics.h"
#include "corral/core/queries.h"
#include "corral/core/simulated_user.h"
#include "corral/core/value_mining.h"
#include "planted_clusters.h"

using namespace corral;

namespace {

struct Round {
    double accuracy_before = 0.0;
    double accuracy_after = 0.0;
    double initial_agreement = 0.0;
    std::int64_t positives = 0;
    std::int64_t negatives = 0;
    std::vector<EpochLosses> epochs;
};

Round simulate_round(const testing::PlantedClusters& data, SelectionStrategy strategy, int answers,
                     FeedbackLossSwitches losses = {}) {
    KMeansParams kmeans;
    kmeans.clusters = 4;
    kmeans.metric = DistanceMetric::cosine;
    auto initial = run_kmeans(data.features, kmeans);
    REQUIRE(initial);
    FeedbackTrainerParams params;
    params.clusters = 4;
    params.losses = losses;
    FeedbackTrainer trainer(params);
    auto before = trainer.fit_initial(data.features, initial->assignment);
    REQUIRE(before);
    Round round;
    std::int64_t agree = 0;
    for (std::size_t i = 0; i < before->assignment.size(); ++i) agree += before->assignment[i] == initial->assignment[i];
    round.initial_agreement = static_cast<double>(agree) / static_cast<double>(before->assignment.size());
    round.accuracy_before = clustering_accuracy(data.truth, before->assignment);

    ValueMinerParams mining;
    mining.strategy = strategy;
    auto selection = ValueMiner(mining).select(data.features, before->centres, answers);
    REQUIRE(selection);
    auto queries = QueryBuilder(QueryBuilderParams{2, 4}).build(data.features, before->centres, before->assignment, *selection);
    REQUIRE(queries);
    auto user = SimulatedUser::create(data.truth, before->assignment, 4);
    REQUIRE(user);
    const auto given = user->answer_all(*queries);
    auto after = trainer.fine_tune(data.features, given);
    REQUIRE(after);
    round.accuracy_after = clustering_accuracy(data.truth, after->prediction.assignment);
    round.positives = after->positives;
    round.negatives = after->negatives;
    round.epochs = after->epochs;
    return round;
}

}  // namespace

TEST_CASE("100 simulated answers on boundary points raise accuracy", "[model][idc]") {
    const auto data = testing::make_planted_clusters();
    const auto round = simulate_round(data, SelectionStrategy::hard_representative_diverse, 100);
    INFO("before " << round.accuracy_before << " after " << round.accuracy_after);
    CHECK(round.initial_agreement > 0.99);
    CHECK(round.positives + round.negatives == 100);
    CHECK(round.accuracy_after > round.accuracy_before + 0.01);
    REQUIRE(round.epochs.size() == 100);
    CHECK(round.epochs.back().positive < round.epochs.front().positive);
}

TEST_CASE("queries show the most similar clusters with exemplars of their own", "[unit][idc]") {
    const auto data = testing::make_planted_clusters();
    std::vector<int> assignment(data.truth.begin(), data.truth.end());
    ValueMinerParams mining;
    mining.strategy = SelectionStrategy::hard;
    auto selection = ValueMiner(mining).select(data.features, data.centres, 10);
    REQUIRE(selection);
    auto queries = QueryBuilder(QueryBuilderParams{3, 4}).build(data.features, data.centres, assignment, *selection);
    REQUIRE(queries);
    REQUIRE(queries->size() == 10);
    for (const auto& query : *queries) {
        REQUIRE(query.candidates.size() == 3);
        // A boundary point between clusters 0 and 1: those two first, in either order.
        CHECK(std::min(query.candidates[0].cluster, query.candidates[1].cluster) == 0);
        CHECK(std::max(query.candidates[0].cluster, query.candidates[1].cluster) == 1);
        CHECK(query.candidates[0].similarity >= query.candidates[1].similarity);
        for (const auto& candidate : query.candidates) {
            CHECK(candidate.exemplars.size() == 4);
            for (auto exemplar : candidate.exemplars) CHECK(assignment[static_cast<std::size_t>(exemplar)] == candidate.cluster);
        }
    }
    // More candidates than clusters: all clusters, once.
    auto all = QueryBuilder(QueryBuilderParams{9, 1}).build(data.features, data.centres, assignment, *selection);
    REQUIRE(all);
    CHECK(all->front().candidates.size() == 4);
}

TEST_CASE("the simulated user answers from the Hungarian class-to-cluster map", "[unit][idc]") {
    const std::vector<int> truth{0, 0, 0, 1, 1, 1, 2, 2, -1};
    const std::vector<int> predicted{2, 2, 1, 0, 0, 0, 1, 1, 1};
    auto user = SimulatedUser::create(truth, predicted, 3);
    REQUIRE(user);
    CHECK(user->cluster_of_class(0) == 2);
    CHECK(user->cluster_of_class(1) == 0);
    CHECK(user->cluster_of_class(2) == 1);
    Query query;
    query.sample = 2;  // class 0 -> cluster 2
    query.candidates = {{1, 0.9, {}}, {2, 0.8, {}}};
    auto answer = user->answer(query);
    CHECK(answer.kind == AnswerKind::positive);
    CHECK(answer.cluster == 2);
    query.candidates = {{1, 0.9, {}}, {0, 0.8, {}}};
    answer = user->answer(query);
    CHECK(answer.kind == AnswerKind::negative);
    CHECK(answer.rejected == std::vector<int>{1, 0});
    query.sample = 8;  // no ground truth
    CHECK(user->answer(query).kind == AnswerKind::skip);
}

TEST_CASE("feedback training validates its input and stops on request", "[unit][idc]") {
    const auto data = testing::make_planted_clusters(4, 50, 20);
    FeedbackTrainerParams params;
    params.clusters = 4;
    params.initial_fit_epochs = 2;
    FeedbackTrainer trainer(params);
    CHECK_FALSE(trainer.fine_tune(data.features, {}));  // not fitted yet
    std::vector<int> wrong(data.truth.size(), 7);
    CHECK_FALSE(trainer.fit_initial(data.features, wrong));
    REQUIRE(trainer.fit_initial(data.features, data.truth));
    const std::vector<Answer> bad{Answer::positive(0, 9)};
    CHECK_FALSE(trainer.fine_tune(data.features, bad));
    std::stop_source stop;
    stop.request_stop();
    const std::vector<Answer> good{Answer::positive(0, 1), Answer::skip(1)};
    auto cancelled = trainer.fine_tune(data.features, good, JobContext(stop.get_token(), {}));
    REQUIRE_FALSE(cancelled);
    CHECK(cancelled.error().code == ErrorCode::cancelled);
}

TEST_CASE("a copied trainer fine-tunes independently of its original", "[model][idc]") {
    const auto data = testing::make_planted_clusters(4, 50, 20);
    const FeedbackTrainerParams params = testing::quick_trainer_params(4);
    FeedbackTrainer original(params);
    REQUIRE(original.fit_initial(data.features, data.truth));
    auto before = original.predict(data.features);
    REQUIRE(before);

    FeedbackTrainer twin = original.copy();
    auto copied = twin.predict(data.features);
    REQUIRE(copied);
    CHECK(copied->probabilities == before->probabilities);

    auto faster = params;
    faster.learning_rate = 1e-2;
    REQUIRE(twin.set_params(faster));
    CHECK(twin.params().learning_rate == 1e-2);
    std::vector<Answer> answers;
    for (std::int64_t i = 0; i < 20; ++i) answers.push_back(Answer::positive(i, (data.truth[static_cast<std::size_t>(i)] + 1) % 4));
    REQUIRE(twin.fine_tune(data.features, answers));
    auto tuned = twin.predict(data.features);
    REQUIRE(tuned);
    CHECK(tuned->probabilities != before->probabilities);
    auto untouched = original.predict(data.features);
    REQUIRE(untouched);
    CHECK(untouched->probabilities == before->probabilities);

    auto reshaped = params;
    reshaped.clusters = 5;
    const auto refused = twin.set_params(reshaped);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::invalid_argument);
}
