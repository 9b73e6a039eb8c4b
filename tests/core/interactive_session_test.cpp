#include <catch2/catch.hpp>

#include <algorithm>

#include "corral/core/convnet.h"
#include "corral/core/dataset.h"
#include "corral/core/interactive_session.h"
#include "corral/core/project.h"
#include "test_support.h"

using namespace corral;

namespace {

SessionSettings small_settings(const std::string& encoder_spec) {
    SessionSettings settings;
    settings.dataset_spec = "fashion-mnist";
    settings.limit = 600;
    settings.encoder_spec = encoder_spec;
    settings.clusters = 10;
    settings.round_size = 8;
    settings.fine_tune_epochs = 5;
    return settings;
}

std::vector<std::int64_t> active_samples(Project& project) {
    std::vector<std::int64_t> samples;
    auto answers = project.answers();
    REQUIRE(answers);
    for (const auto& answer : *answers) samples.push_back(answer.sample);
    return samples;
}

}  // namespace

TEST_CASE("an interactive session answers, undoes, trains and resumes where it stopped", "[model][session]") {
    if (!find_fashion_mnist()) {
        WARN("Fashion-MNIST is not installed (dataset-fashion-mnist); nothing to check");
        return;
    }
    testing::TempDir folder;
    const auto path = folder / "small.corral";
    auto created = InteractiveSession::create(path, small_settings("pixels"), {});
    REQUIRE(created);
    auto& session = **created;
    CHECK(session.clustering().method == "kmeans");
    CHECK(session.clustering().assignment.size() == 600);
    CHECK_FALSE(session.current_query());

    auto plan = session.plan_round(8, {});
    REQUIRE(plan);
    REQUIRE(plan->samples.size() == 8);
    REQUIRE(session.adopt_round(*plan));
    auto first = session.current_query();
    REQUIRE(first);
    CHECK(first->position == 0);
    CHECK(first->candidates.size() == 5);
    CHECK(first->sample == plan->samples[0].sample);

    REQUIRE(session.answer(AnswerKind::positive, first->candidates[1].cluster));
    REQUIRE(session.answer(AnswerKind::negative, -1));
    REQUIRE(session.answer(AnswerKind::skip, -1));
    REQUIRE(session.answer(AnswerKind::positive, session.current_query()->candidates[0].cluster));
    CHECK(session.current_query()->position == 4);
    // A positive answer must name an existing cluster.
    CHECK_FALSE(session.answer(AnswerKind::positive, 10));

    auto undone = session.undo();
    REQUIRE(undone);
    CHECK(undone->sample == plan->samples[3].sample);
    CHECK(session.current_query()->position == 3);
    CHECK(session.current_query()->sample == plan->samples[3].sample);
    CHECK(session.active_answer_count() == 3);
    const auto answered_before = active_samples(session.project());
    const auto clustering_id = session.clustering().id;
    created->reset();
    std::vector<int> next_assignment;

    // Reopening brings back the open round at the same position with the same answers.
    {
        auto reopened = InteractiveSession::open(path, {});
        REQUIRE(reopened);
        auto& again = **reopened;
        CHECK(again.clustering().id == clustering_id);
        REQUIRE(again.current_query());
        CHECK(again.current_query()->position == 3);
        CHECK(again.current_query()->sample == plan->samples[3].sample);
        CHECK(active_samples(again.project()) == answered_before);

        while (auto query = again.current_query()) REQUIRE(again.answer(AnswerKind::positive, query->candidates[0].cluster));
        CHECK(again.round_finished());
        auto outcome = again.train({});
        REQUIRE(outcome);
        CHECK(outcome->positives == 6);  // the skip teaches nothing
        CHECK(outcome->negatives == 1);
        CHECK(outcome->assignment.size() == 600);
        // Seven answers refine the clusters; they must not pull the other 593 images into a few.
        std::vector<int> sizes(10, 0);
        for (const int cluster : outcome->assignment) ++sizes[static_cast<std::size_t>(cluster)];
        const int largest = *std::max_element(sizes.begin(), sizes.end());
        INFO("largest cluster after fine-tuning: " << largest << " of 600");
        CHECK(largest < 200);
        REQUIRE(again.adopt_training(*outcome));
        CHECK(again.clustering().method == "idc");
        CHECK(again.clustering().id != clustering_id);
        const auto history = again.history();
        REQUIRE(history.size() == 2);
        // k-means learned from no answer and was asked about 8 times (one skip); round 1 learned from 7.
        CHECK(history[0].answers_used == 0);
        CHECK(history[0].answers_given == 8);
        CHECK(history[1].answers_used == 7);
        CHECK(history[1].answers_given == 0);
        CHECK_FALSE(again.current_query());
        // What learning on from here gives, to compare with the reopened project below.
        auto next = again.train({});
        REQUIRE(next);
        next_assignment = next->assignment;
    }

    // The fine-tuned clustering stays current across a reopen; the answers stay.
    auto last = InteractiveSession::open(path, {});
    REQUIRE(last);
    CHECK((*last)->clustering().method == "idc");
    CHECK((*last)->active_answer_count() == 8);
    CHECK_FALSE((*last)->current_query());
    // The fine-tuned head came back with the project (not a refit to its clusters): it learns on
    // from the same answers to the same clusters.
    auto next = (*last)->train({});
    REQUIRE(next);
    CHECK(next->assignment == next_assignment);

    // A clustering the user named "round 2" is not replaced by the next fine-tuned round.
    ClusteringRecord own;
    own.name = "round 2";
    own.method = "multisub";
    own.parameters_json = "{}";
    own.cluster_count = 10;
    own.assignment.assign(600, 3);
    own.cluster_names.assign(10, "");
    REQUIRE((*last)->add_clustering(own));
    REQUIRE((*last)->adopt_training(*next));
    CHECK((*last)->clustering().name == "round 2 (2)");
    auto stored = (*last)->project().clusterings();
    REQUIRE(stored);
    const auto mine = std::find_if(stored->begin(), stored->end(), [](const auto& c) { return c.name == "round 2"; });
    REQUIRE(mine != stored->end());
    CHECK(mine->method == "multisub");
}

TEST_CASE("a convnet session starts from the convnet's own cluster head", "[model][session][convnet]") {
    if (!find_fashion_mnist()) {
        WARN("Fashion-MNIST is not installed (dataset-fashion-mnist); nothing to check");
        return;
    }
    DatasetOptions options;
    options.limit = 600;
    auto dataset = open_dataset("fashion-mnist", options);
    REQUIRE(dataset);
    testing::TempDir folder;
    ConvnetTrainingParams training;
    training.output_folder = folder / "model";
    training.clusters = 10;
    training.epochs = 1;
    training.images_per_epoch = 0;
    training.batch_size = 100;
    training.widths = {8, 16};
    REQUIRE(train_convnet(**dataset, training));
    const auto prediction = predict_with_convnet(training.output_folder, **dataset);
    REQUIRE(prediction);

    // The head on cached features reproduces the full prediction.
    const auto head = cluster_with_convnet_head(training.output_folder, prediction->features);
    REQUIRE(head);
    CHECK(head->assignment == prediction->assignment);
    const auto narrow = cluster_with_convnet_head(training.output_folder, FloatMatrix(4, 3));
    REQUIRE_FALSE(narrow);
    CHECK(narrow.error().code == ErrorCode::invalid_argument);
    CHECK(convnet_folder_of("convnet:" + training.output_folder.string()) == training.output_folder);
    CHECK_FALSE(convnet_folder_of("pixels"));
    CHECK_FALSE(convnet_folder_of("convnet:"));

    const std::string spec = "convnet:" + training.output_folder.string();
    auto session = InteractiveSession::create(folder / "convnet.corral", small_settings(spec), {});
    REQUIRE(session);
    CHECK((*session)->clustering().method == "convnet");
    CHECK((*session)->clustering().assignment == prediction->assignment);

    auto wrong_size = small_settings(spec);
    wrong_size.clusters = 5;
    const auto refused = InteractiveSession::create(folder / "five.corral", wrong_size, {});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::invalid_argument);
}
