#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>

#include "corral/core/answer_propagation.h"
#include "corral/core/convnet.h"
#include "corral/core/dataset.h"
#include "corral/core/idc_engine.h"
#include "corral/core/interactive_session.h"
#include "corral/core/metrics.h"
#include "corral/core/project.h"
#include "test_support.h"

using namespace corral;

namespace {

// Every file of a folder with its bytes: a model folder that must stay as it was.
std::map<std::string, std::string> folder_bytes(const std::filesystem::path& folder) {
    std::map<std::string, std::string> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
        if (entry.is_regular_file()) files[entry.path().lexically_relative(folder).string()] = testing::read_file(entry.path());
    }
    return files;
}

SessionSettings fashion_settings(const std::string& encoder_spec, std::int64_t limit) {
    SessionSettings settings;
    settings.dataset_spec = "fashion-mnist";
    settings.limit = limit;
    settings.encoder_spec = encoder_spec;
    settings.clusters = 10;
    settings.round_size = 100;
    settings.fine_tune_epochs = 20;
    return settings;
}

// A convnet of the default widths trained briefly on `limit` Fashion-MNIST images: a weak
// pre-trained clustering model that answers can visibly improve.
std::filesystem::path small_convnet(const testing::TempDir& folder, std::int64_t limit) {
    DatasetOptions options;
    options.limit = limit;
    auto dataset = open_dataset("fashion-mnist", options);
    REQUIRE(dataset);
    ConvnetTrainingParams training;
    training.output_folder = folder / "model";
    training.clusters = 10;
    training.epochs = 8;
    training.images_per_epoch = 0;
    training.batch_size = 100;
    training.learning_rate = 3e-3;
    training.seed = 3;
    REQUIRE(train_convnet(**dataset, training));
    return training.output_folder;
}

// Plans a round of `questions`, and the simulated user answers every one of them.
void answer_one_round(InteractiveSession& session, int questions) {
    auto plan = session.plan_round(questions, {});
    REQUIRE(plan);
    REQUIRE(session.adopt_round(*plan));
    auto user = SimulatedAnswerSource::create(session);
    REQUIRE(user);
    REQUIRE(answer_open_round(session, *user));
}

double accuracy_of(const InteractiveSession& session) {
    return clustering_accuracy(session.dataset()->labels(), session.clustering().assignment);
}

}  // namespace

TEST_CASE("network fine-tuning learns from answers and never changes the model it started from", "[slow][idc][session]") {
    if (!find_fashion_mnist()) {
        WARN("Fashion-MNIST is not installed (dataset-fashion-mnist); nothing to check");
        return;
    }
    testing::TempDir folder;
    const auto model = small_convnet(folder, 2000);
    const auto original_bytes = folder_bytes(model);
    const auto project_folder = folder / "network.corral";
    auto settings = fashion_settings("convnet:" + model.string(), 2000);
    settings.fine_tune_epochs = 50;
    auto created = InteractiveSession::create(project_folder, settings, {});
    REQUIRE(created);
    auto& session = **created;
    REQUIRE(session.fine_tune_target() == FineTuneTarget::network);
    const auto initial = session.clustering();
    const auto initial_features = session.features();
    const double before = accuracy_of(session);

    auto user = SimulatedAnswerSource::create(session);
    REQUIRE(user);
    auto reports = run_idc_rounds(session, *user, IdcRunParams{200, 2}, {});
    REQUIRE(reports);
    REQUIRE(reports->size() == 2);
    const auto& second = (*reports)[1];
    CHECK(second.target == FineTuneTarget::network);
    CHECK(second.diversity_seeds == 100);  // round 1's answers seeded S
    const double after = accuracy_of(session);
    INFO("ACC " << before << " -> " << (*reports)[0].change.after->acc << " -> " << after);
    CHECK(after > before + 0.05);
    CHECK(second.change.after->acc == Approx(after));

    // The tuned model is a new encoder of the project; the pre-trained one is byte-identical.
    CHECK(folder_bytes(model) == original_bytes);
    CHECK(session.clustering().encoder_id != initial.encoder_id);
    CHECK(session.features() != initial_features);
    CHECK(session.features()->rows() == initial_features->rows());
    auto stored = session.project().load_embeddings(session.clustering().encoder_id);
    REQUIRE(stored);
    CHECK(stored->rows() == 2000);
    std::int64_t answers = 0;
    for (const auto& answer : *session.project().answers()) answers += answer.kind != AnswerKind::skip;
    CHECK(answers == 200);  // every simulated answer is in the store like a person's

    // Reopened, the project is on the tuned model's clustering and features; the pre-trained
    // clustering is one switch away, with its own features again.
    const auto tuned_id = session.clustering().id;
    const auto tuned_assignment = session.clustering().assignment;
    const auto tuned_encoder = session.clustering().encoder_id;
    created->reset();
    auto reopened = InteractiveSession::open(project_folder, {});
    REQUIRE(reopened);
    CHECK((*reopened)->clustering().id == tuned_id);
    CHECK((*reopened)->clustering().assignment == tuned_assignment);
    CHECK((*reopened)->fine_tune_target() == FineTuneTarget::network);
    REQUIRE((*reopened)->switch_clustering(initial.id, {}));
    CHECK((*reopened)->clustering().encoder_id == initial.encoder_id);
    CHECK(*(*reopened)->features() == *initial_features);
    REQUIRE((*reopened)->switch_clustering(tuned_id, {}));
    CHECK((*reopened)->clustering().encoder_id == tuned_encoder);
}

TEST_CASE("a cancelled network fine-tune leaves model, clustering and project as they were", "[model][idc][session]") {
    if (!find_fashion_mnist()) {
        WARN("Fashion-MNIST is not installed (dataset-fashion-mnist); nothing to check");
        return;
    }
    testing::TempDir folder;
    const auto model = small_convnet(folder, 600);
    const auto original_bytes = folder_bytes(model);
    const auto project_folder = folder / "cancel.corral";
    auto created = InteractiveSession::create(project_folder, fashion_settings("convnet:" + model.string(), 600), {});
    REQUIRE(created);
    auto& session = **created;
    answer_one_round(session, 40);
    REQUIRE(session.next_step() == SessionStep::train);
    const auto clustering = session.clustering();
    const auto features = session.features();
    const auto clusterings = session.project().clusterings()->size();

    std::stop_source stop;
    std::atomic<double> reached{0.0};
    const JobContext job(stop.get_token(), [&](double fraction, std::string_view) {
        reached = fraction;
        if (fraction > 0.3) stop.request_stop();
    });
    auto outcome = session.train(job);
    REQUIRE_FALSE(outcome);
    CHECK(outcome.error().code == ErrorCode::cancelled);
    CHECK(reached > 0.3);

    CHECK(folder_bytes(model) == original_bytes);
    CHECK(session.clustering().id == clustering.id);
    CHECK(session.clustering().assignment == clustering.assignment);
    CHECK(session.features() == features);
    CHECK(session.project().clusterings()->size() == clusterings);
    CHECK(session.next_step() == SessionStep::train);  // the finished round still waits to be learned from
    std::error_code error;
    const auto models = project_folder / "models";
    CHECK((!std::filesystem::exists(models, error) || std::filesystem::is_empty(models, error)));

    // A training outcome that is never adopted takes its model folder with it.
    {
        auto trained = session.train({});
        REQUIRE(trained);
        CHECK(std::filesystem::is_directory(project_folder / "models"));
        CHECK(session.clustering().id == clustering.id);  // nothing adopted yet
    }
    CHECK(std::filesystem::is_empty(models, error));
}

TEST_CASE("answers lend their clusters to their nearest images in a network fine-tune", "[model][idc][session]") {
    if (!find_fashion_mnist()) {
        WARN("Fashion-MNIST is not installed (dataset-fashion-mnist); nothing to check");
        return;
    }
    testing::TempDir folder;
    const auto model = small_convnet(folder, 600);
    auto settings = fashion_settings("convnet:" + model.string(), 600);
    settings.fine_tune_epochs = 3;
    settings.answer_neighbours = 100;  // more than a 600-image collection allows: capped
    auto created = InteractiveSession::create(folder / "lent.corral", settings, {});
    REQUIRE(created);
    auto& session = **created;
    answer_one_round(session, 30);
    const auto features = session.features();
    std::vector<Answer> answers;
    for (const auto& record : *session.project().answers()) {
        if (record.kind == AnswerKind::positive) answers.push_back(Answer::positive(record.sample, record.chosen_cluster));
        if (record.kind == AnswerKind::negative) answers.push_back(Answer{record.sample, AnswerKind::negative, -1, record.shown_candidates});
    }
    std::int64_t positives = 0;
    for (const auto& answer : answers) positives += answer.kind == AnswerKind::positive;
    REQUIRE(positives > 0);
    // At most half of the unanswered images are claimed.
    const auto capped = static_cast<int>((600 - static_cast<std::int64_t>(answers.size())) / (2 * positives));
    REQUIRE(capped < 100);
    auto expected = propagate_answers(*features, answers, capped);
    REQUIRE(expected);
    REQUIRE_FALSE(expected->empty());

    auto outcome = session.train({});
    REQUIRE(outcome);
    CHECK(outcome->lent_labels == static_cast<std::int64_t>(expected->size()));
    CHECK(outcome->lent_neighbours == capped);
    CHECK(outcome->lent_labels <= capped * outcome->positives);
    CHECK(outcome->pseudo_labelled >= outcome->lent_labels);  // lent labels stay in the table
    auto change = session.adopt_training(*outcome);
    REQUIRE(change);
    const auto parameters = nlohmann::json::parse(session.clustering().parameters_json);
    CHECK(parameters.at("answer_neighbours") == capped);
    CHECK(parameters.at("lent_labels") == outcome->lent_labels);

    // The setting survives a reopen, and a negative count is refused.
    created->reset();
    auto reopened = InteractiveSession::open(folder / "lent.corral", {});
    REQUIRE(reopened);
    CHECK((*reopened)->settings().answer_neighbours == 100);
    reopened->reset();
    // A project written before the setting existed keeps the reference recipe (no lent labels).
    {
        auto project = Project::open(folder / "lent.corral");
        REQUIRE(project);
        auto stored = (*project)->setting("session.settings");
        REQUIRE(stored);
        REQUIRE(*stored);
        auto json = nlohmann::json::parse(**stored);
        json.erase("answer_neighbours");
        REQUIRE((*project)->set_setting("session.settings", json.dump()));
    }
    auto older = InteractiveSession::open(folder / "lent.corral", {});
    REQUIRE(older);
    CHECK((*older)->settings().answer_neighbours == 0);
    CHECK(SessionSettings{}.answer_neighbours == 50);
    settings.answer_neighbours = -1;
    CHECK_FALSE(InteractiveSession::create(folder / "refused.corral", settings, {}));
}

TEST_CASE("answers given under one clustering train another, mapped or left out", "[model][idc][session]") {
    if (!find_fashion_mnist()) {
        WARN("Fashion-MNIST is not installed (dataset-fashion-mnist); nothing to check");
        return;
    }
    testing::TempDir folder;
    auto settings = fashion_settings("pixels", 600);
    settings.fine_tune_epochs = 5;
    auto created = InteractiveSession::create(folder / "mapped.corral", settings, {});
    REQUIRE(created);
    auto& session = **created;
    answer_one_round(session, 12);
    const ClusteringRecord a = session.clustering();  // a copy: switching and adopting replace the active record

    // B: A's clusters merged in pairs (5 clusters): every answer has a counterpart.
    ClusteringRecord merged;
    merged.name = "merged pairs";
    merged.method = "manual";
    merged.parameters_json = "{}";
    merged.cluster_count = 5;
    for (const int cluster : a.assignment) merged.assignment.push_back(cluster / 2);
    auto merged_id = session.add_clustering(merged);
    INFO((merged_id ? std::string() : merged_id.error().message));
    REQUIRE(merged_id);
    REQUIRE(session.switch_clustering(*merged_id, {}));
    auto outcome = session.train({});
    REQUIRE(outcome);
    CHECK(outcome->answers_used == 12);
    CHECK(outcome->answers_mapped == 12);
    CHECK(outcome->answers_left_out == 0);
    auto change = session.adopt_training(*outcome);
    REQUIRE(change);
    CHECK(session.clustering().cluster_count == 5);
    CHECK(change->previous_clustering_id == *merged_id);

    // C: an assignment that shares nothing with A (every cluster spread evenly): no counterparts.
    ClusteringRecord scattered;
    scattered.name = "scattered";
    scattered.method = "manual";
    scattered.parameters_json = "{}";
    scattered.cluster_count = 20;
    for (std::size_t i = 0; i < a.assignment.size(); ++i) scattered.assignment.push_back(static_cast<int>(i % 20));
    auto scattered_id = session.add_clustering(scattered);
    REQUIRE(scattered_id);
    REQUIRE(session.switch_clustering(*scattered_id, {}));
    auto refused = session.train({});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("no clear counterpart") != std::string::npos);

    // D: a clustering fine-tuned from A keeps A's numbering (the head's output k stays cluster k),
    // however many images the fine-tune moved: nothing is mapped by overlap, nothing left out.
    ClusteringRecord tuned;
    tuned.name = "tuned from A";
    tuned.method = "idc";
    tuned.parameters_json = nlohmann::json{{"from_clustering", a.id}}.dump();
    tuned.cluster_count = a.cluster_count;
    for (std::size_t i = 0; i < a.assignment.size(); ++i) tuned.assignment.push_back(static_cast<int>(i % a.cluster_count));
    auto tuned_id = session.add_clustering(tuned);
    REQUIRE(tuned_id);
    REQUIRE(session.switch_clustering(*tuned_id, {}));
    auto kept = session.train({});
    REQUIRE(kept);
    CHECK(kept->answers_used == 12);
    CHECK(kept->answers_mapped == 0);
    CHECK(kept->answers_left_out == 0);
}

TEST_CASE("a round after another keeps away from the samples already answered", "[unit][idc][session]") {
    if (!find_fashion_mnist()) {
        WARN("Fashion-MNIST is not installed (dataset-fashion-mnist); nothing to check");
        return;
    }
    testing::TempDir folder;
    auto settings = fashion_settings("pixels", 600);
    settings.fine_tune_epochs = 2;
    auto created = InteractiveSession::create(folder / "rounds.corral", settings, {});
    REQUIRE(created);
    auto& session = **created;
    auto user = SimulatedAnswerSource::create(session);
    REQUIRE(user);
    auto first = run_idc_rounds(session, *user, IdcRunParams{20, 1}, {});
    REQUIRE(first);
    CHECK(first->front().diversity_seeds == 0);
    auto plan = session.plan_round(10, {});
    REQUIRE(plan);
    CHECK(plan->diversity_seeds == 20);
    // Even the first pick's diversity was measured against round 1's answers (0 means S was empty).
    CHECK(plan->diversity.front() != 0.0);
}

TEST_CASE("a collection of 15 images is asked questions and learns from them", "[unit][idc][session]") {
    if (!find_fashion_mnist()) {
        WARN("Fashion-MNIST is not installed (dataset-fashion-mnist); nothing to check");
        return;
    }
    testing::TempDir folder;
    auto settings = fashion_settings("pixels", 15);
    settings.clusters = 3;
    settings.candidates = 3;
    settings.fine_tune_epochs = 3;
    auto created = InteractiveSession::create(folder / "tiny.corral", settings, {});
    REQUIRE(created);  // K = 20 neighbours for 15 images used to refuse every round
    auto user = SimulatedAnswerSource::create(**created);
    REQUIRE(user);
    auto reports = run_idc_rounds(**created, *user, IdcRunParams{6, 2}, {});
    REQUIRE(reports);
    CHECK(reports->size() == 2);
    CHECK(reports->back().diversity_seeds == 3);
    CHECK((*created)->clustering().assignment.size() == 15);
}
