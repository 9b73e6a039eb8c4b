// Learning features from a project's images: the schedules follow the default training, the
// expected time comes from a measured speed, and a project trains, pauses, resumes after being
// reopened and ends on the learned clustering, with its model inside the project.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "corral/core/convnet.h"
#include "corral/core/dataset.h"
#include "corral/core/feature_learning.h"
#include "corral/core/interactive_session.h"
#include "corral/core/project.h"
#include "shape_folder.h"
#include "test_support.h"

using namespace corral;

namespace {

SessionSettings shape_settings(const std::filesystem::path& images) {
    SessionSettings settings;
    settings.dataset_spec = "folder:" + images.string();
    settings.clusters = 3;
    settings.round_size = 5;
    settings.fine_tune_epochs = 3;
    return settings;
}

std::unique_ptr<Dataset> open_shapes(const std::filesystem::path& images) {
    auto dataset = open_dataset("folder:" + images.string());
    REQUIRE(dataset);
    return std::move(*dataset);
}

}  // namespace

TEST_CASE("the schedules scale this build's default training", "[unit][convnet]") {
    const ConvnetTrainingParams defaults;
    const auto quick = schedule_params(LearningSchedule::quick, 7);
    const auto standard = schedule_params(LearningSchedule::standard, 7);
    const auto thorough = schedule_params(LearningSchedule::thorough, 7);
    CHECK(standard.epochs == defaults.epochs);
    CHECK(quick.epochs == std::max(1, (defaults.epochs + 2) / 3));
    CHECK(thorough.epochs == 3 * defaults.epochs);
    for (const auto* params : {&quick, &standard, &thorough}) {
        CHECK(params->clusters == 7);
        CHECK(params->images_per_epoch == defaults.images_per_epoch);
        CHECK(params->batch_size == defaults.batch_size);
        CHECK(params->learning_rate == defaults.learning_rate);
        CHECK(params->widths == defaults.widths);
    }
    for (const auto schedule : {LearningSchedule::quick, LearningSchedule::standard, LearningSchedule::thorough}) {
        CHECK(schedule_from_name(schedule_name(schedule)) == schedule);
    }
    CHECK_FALSE(schedule_from_name("forever"));
}

TEST_CASE("training_views counts the views train_convnet passes through the network", "[model][convnet]") {
    testing::TempDir scratch;
    testing::write_shape_folder(scratch / "shapes", 90, 20);
    const auto dataset = open_shapes(scratch / "shapes");
    ConvnetTrainingParams params;
    params.output_folder = scratch / "model";
    params.clusters = 3;
    params.epochs = 2;
    params.images_per_epoch = 70;
    params.batch_size = 32;
    int steps = 0;
    const JobContext job({}, [&](double, std::string_view message) {
        if (message.rfind("training epoch", 0) == 0) ++steps;  // one report per step
    });
    REQUIRE(train_convnet(*dataset, params, job));
    // 70 images an epoch in whole batches of 32: two steps, of two views per image.
    CHECK(steps == 4);
    CHECK(training_views(params, dataset->size()) == steps * params.batch_size * 2);
    params.images_per_epoch = 0;  // every image: 90 / 32 -> 2 steps
    CHECK(training_views(params, dataset->size()) == 2 * 2 * 32 * 2);
    params.batch_size = 128;  // larger than an epoch: one step of the whole epoch
    CHECK(training_views(params, dataset->size()) == 2 * 1 * 90 * 2);
}

TEST_CASE("the convnet's speed is measured on a sample and predicts the time of each schedule", "[model][convnet]") {
    testing::TempDir scratch;
    testing::write_shape_folder(scratch / "shapes", 60, 20);
    const auto dataset = open_shapes(scratch / "shapes");
    auto params = schedule_params(LearningSchedule::standard, 3);
    const auto speed = measure_convnet_speed(*dataset, params);
    REQUIRE(speed);
    CHECK(speed->valid());
    CHECK(speed->sample_images == 60);
    // Nothing is left behind in the temporary folder.
    for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::temp_directory_path())) {
        CHECK(entry.path().filename().string().rfind("corral-speed-", 0) != 0);
    }
    const auto quick = expected_learning_time(*speed, schedule_params(LearningSchedule::quick, 3), 6000);
    const auto standard = expected_learning_time(*speed, params, 6000);
    const auto thorough = expected_learning_time(*speed, schedule_params(LearningSchedule::thorough, 3), 6000);
    CHECK(standard.training_seconds ==
          Approx(static_cast<double>(training_views(params, 6000)) / speed->training_views_per_second));
    CHECK(thorough.training_seconds == Approx(3 * standard.training_seconds));
    CHECK(quick.training_seconds < standard.training_seconds);
    CHECK(standard.decode_seconds == Approx(6000 / speed->decode_images_per_second));
    CHECK(standard.encode_seconds == Approx(6000 / speed->encode_images_per_second));
    // Epochs already in a checkpoint are not counted again.
    const auto half = expected_learning_time(*speed, params, 6000, params.epochs / 2);
    CHECK(half.training_seconds == Approx(standard.training_seconds * (params.epochs - params.epochs / 2) / params.epochs));

    std::stop_source stop;
    stop.request_stop();
    const auto cancelled = measure_convnet_speed(*dataset, params, JobContext(stop.get_token(), {}));
    REQUIRE_FALSE(cancelled);
    CHECK(cancelled.error().code == ErrorCode::cancelled);
}

TEST_CASE("a project learns features, pauses, resumes after reopening and ends on them", "[model][session]") {
    testing::TempDir scratch;
    testing::write_shape_folder(scratch / "shapes", 150, 24);
    const auto project_folder = scratch / "shapes.corral";
    const auto settings = shape_settings(scratch / "shapes");
    std::int64_t pixel_clustering = 0;
    std::string model_folder;
    {
        auto created = InteractiveSession::create(project_folder, settings, {});
        REQUIRE(created);
        auto& session = **created;
        pixel_clustering = session.clustering().id;
        CHECK(session.clustering().method == "kmeans");
        CHECK_FALSE(session.feature_learning());

        FeatureLearningPlan plan;
        plan.schedule = LearningSchedule::quick;
        plan.epochs = 3;
        plan.images_per_epoch = 0;
        REQUIRE(session.begin_feature_learning(plan));
        auto state = session.feature_learning();
        REQUIRE(state);
        CHECK(state->status == FeatureLearningStatus::training);
        CHECK(state->epochs == 3);
        CHECK(state->epochs_completed == 0);
        CHECK_FALSE(state->speed);  // measured by the first run
        model_folder = state->model_folder;
        CHECK(model_folder.rfind("models/learned-", 0) == 0);

        // Stopped once the first epoch's checkpoint is written: the session is untouched.
        std::stop_source stop;
        std::vector<double> fractions;
        const JobContext job(stop.get_token(), [&](double fraction, std::string_view message) {
            fractions.push_back(fraction);
            if (message.find("epoch 1/3 done") != std::string_view::npos) stop.request_stop();
        });
        auto cancelled = session.learn_features(job);
        REQUIRE_FALSE(cancelled);
        CHECK(cancelled.error().code == ErrorCode::cancelled);
        CHECK(std::is_sorted(fractions.begin(), fractions.end()));
        REQUIRE(session.stop_feature_learning(cancelled.error()));
        state = session.feature_learning();
        REQUIRE(state);
        CHECK(state->status == FeatureLearningStatus::paused);
        CHECK(state->epochs_completed == 1);
        REQUIRE(state->speed);
        CHECK(state->speed->valid());
        CHECK(session.clustering().id == pixel_clustering);
        CHECK(std::filesystem::exists(project_folder / model_folder / "model.safetensors"));
    }
    {
        auto reopened = InteractiveSession::open(project_folder, {});
        REQUIRE(reopened);
        auto& session = **reopened;
        CHECK(session.clustering().id == pixel_clustering);
        auto state = session.feature_learning();
        REQUIRE(state);
        CHECK(state->status == FeatureLearningStatus::paused);
        CHECK(state->epochs_completed == 1);

        std::vector<double> fractions;
        auto learned = session.learn_features(JobContext({}, [&](double fraction, std::string_view) {
            fractions.push_back(fraction);
        }));
        REQUIRE(learned);
        CHECK(learned->resumed_from_epoch == 1);
        CHECK(learned->epochs_completed == 3);
        CHECK(std::is_sorted(fractions.begin(), fractions.end()));
        CHECK(fractions.back() == 1.0);
        // Nothing the session shows changed before adoption.
        CHECK(session.clustering().id == pixel_clustering);
        auto change = session.adopt_learned_features(*learned);
        REQUIRE(change);
        CHECK(change->previous_clustering_id == pixel_clustering);
        CHECK(change->images == 150);
        CHECK(change->images_changed >= 0);
        CHECK(change->images_changed <= 150);
        REQUIRE(change->before);  // the folders are ground truth
        REQUIRE(change->after);
        CHECK(session.clustering().method == "convnet");
        CHECK(session.clustering().name == "learned features");
        CHECK(session.clustering().encoder_id.rfind("convnet-", 0) == 0);
        CHECK(session.fine_tune_target() == FineTuneTarget::network);
        state = session.feature_learning();
        REQUIRE(state);
        CHECK(state->status == FeatureLearningStatus::finished);
        CHECK(state->clustering_id == session.clustering().id);
        CHECK(state->epochs_completed == 3);
        // The model lives inside the project; the features are cached under its encoder.
        CHECK(std::filesystem::exists(project_folder / model_folder / "model.safetensors"));
        auto features = session.project().load_embeddings(session.clustering().encoder_id);
        REQUIRE(features);
        CHECK(features->rows() == 150);
        CHECK_FALSE(session.discard_feature_learning());  // a finished one stays
        // The pixel clustering is one switch away.
        REQUIRE(session.switch_clustering(pixel_clustering, {}));
        CHECK(session.clustering().method == "kmeans");
        REQUIRE(session.switch_clustering(state->clustering_id, {}));
    }
    {
        // Reopened, the learned clustering is current and its network is the one fine-tuned.
        auto reopened = InteractiveSession::open(project_folder, {});
        REQUIRE(reopened);
        CHECK((*reopened)->clustering().method == "convnet");
        CHECK((*reopened)->fine_tune_target() == FineTuneTarget::network);
    }
}

TEST_CASE("feature-learning records are versioned and an unfinished training can be discarded", "[model][session]") {
    testing::TempDir scratch;
    testing::write_shape_folder(scratch / "shapes", 30, 16);
    const auto project_folder = scratch / "shapes.corral";
    auto created = InteractiveSession::create(project_folder, shape_settings(scratch / "shapes"), {});
    REQUIRE(created);
    auto& session = **created;

    FeatureLearningPlan plan;
    plan.epochs = 1;
    REQUIRE(session.begin_feature_learning(plan));
    const auto state = session.feature_learning();
    REQUIRE(state);
    CHECK(state->schedule == LearningSchedule::standard);
    CHECK(state->images_per_epoch == ConvnetTrainingParams{}.images_per_epoch);
    std::filesystem::create_directories(project_folder / state->model_folder);
    REQUIRE(session.discard_feature_learning());
    CHECK_FALSE(session.feature_learning());
    CHECK_FALSE(std::filesystem::exists(project_folder / state->model_folder));

    // A record a newer Corral wrote is neither read nor replaced.
    const std::string newer = nlohmann::json{{"version", kFeatureLearningRecordVersion + 1}, {"status", "warp"}}.dump();
    REQUIRE(session.project().set_setting("session.feature_learning", newer));
    CHECK_FALSE(session.feature_learning());
    const auto refused = session.begin_feature_learning(plan);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::version_too_new);
    CHECK(session.project().setting("session.feature_learning").value() == newer);

    // A damaged record does not keep the project from opening.
    REQUIRE(session.project().set_setting("session.feature_learning", "{not json"));
    CHECK_FALSE(session.feature_learning());
    created->reset();
    auto reopened = InteractiveSession::open(project_folder, {});
    REQUIRE(reopened);
    CHECK_FALSE((*reopened)->feature_learning());
}
