// Learning features from a project's own images: the convnet trained into the project beside
// the work on the current clustering, resumable, and its clustering adopted when it is done.
// The record lives in the project's settings (kFeatureLearningKey) as versioned JSON.
#include <nlohmann/json.hpp>

#include <chrono>
#include <set>

#include "corral/core/convnet.h"
#include "corral/core/encoder.h"
#include "corral/core/interactive_session.h"
#include "corral/core/metrics.h"
#include "corral/core/project_data.h"
#include "data/subset_dataset.h"
#include "guard.h"
#include "session/session_state.h"

namespace corral {
namespace {

using session_detail::kFeatureLearningKey;

nlohmann::json speed_to_json(const ConvnetSpeed& speed) {
    return {{"decode_images_per_second", speed.decode_images_per_second},
            {"training_views_per_second", speed.training_views_per_second},
            {"encode_images_per_second", speed.encode_images_per_second},
            {"sample_images", speed.sample_images}};
}

std::optional<ConvnetSpeed> speed_from_json(const nlohmann::json& json) {
    if (!json.is_object()) return std::nullopt;
    ConvnetSpeed speed;
    speed.decode_images_per_second = json.value("decode_images_per_second", 0.0);
    speed.training_views_per_second = json.value("training_views_per_second", 0.0);
    speed.encode_images_per_second = json.value("encode_images_per_second", 0.0);
    speed.sample_images = json.value("sample_images", std::int64_t{0});
    if (!speed.valid()) return std::nullopt;
    return speed;
}

nlohmann::json to_json(const FeatureLearningState& state) {
    nlohmann::json json = {{"version", kFeatureLearningRecordVersion},
                           {"status", std::string(status_name(state.status))},
                           {"schedule", std::string(schedule_name(state.schedule))},
                           {"clusters", state.clusters},
                           {"epochs", state.epochs},
                           {"images_per_epoch", state.images_per_epoch},
                           {"model_folder", state.model_folder},
                           {"encoder_id", state.encoder_id},
                           {"clustering_id", state.clustering_id},
                           {"problem", state.problem}};
    if (state.speed) json["speed"] = speed_to_json(*state.speed);
    return json;
}

FeatureLearningStatus status_from_name(const std::string& name) {
    for (const auto status : {FeatureLearningStatus::paused, FeatureLearningStatus::finished, FeatureLearningStatus::failed}) {
        if (status_name(status) == name) return status;
    }
    return FeatureLearningStatus::training;
}

// The record as stored: no state when there is none (or it was discarded), and `newer` when a
// newer Corral wrote it (it is then neither read nor written); corrupt_data when damaged.
constexpr char kDiscarded[] = "discarded";
struct StoredRecord {
    std::optional<FeatureLearningState> state;
    bool newer = false;
};

Expected<StoredRecord> read_record(const Project& project) {
    auto stored = project.setting(kFeatureLearningKey);
    if (!stored) return stored.error();
    StoredRecord record;
    if (!*stored) return record;
    const auto json = nlohmann::json::parse(**stored, nullptr, false);
    if (!json.is_object() || !json.contains("version") || !json["version"].is_number_integer()) {
        return make_error(ErrorCode::corrupt_data, "the project's feature-learning record is damaged");
    }
    if (json["version"].get<int>() > kFeatureLearningRecordVersion) {
        record.newer = true;
        return record;
    }
    if (json.value("status", std::string()) == kDiscarded) return record;
    FeatureLearningState state;
    state.status = status_from_name(json.value("status", std::string("training")));
    state.schedule = schedule_from_name(json.value("schedule", std::string("standard"))).value_or(LearningSchedule::standard);
    state.clusters = json.value("clusters", 0);
    state.epochs = json.value("epochs", 0);
    state.images_per_epoch = json.value("images_per_epoch", std::int64_t{0});
    state.model_folder = json.value("model_folder", std::string());
    state.encoder_id = json.value("encoder_id", std::string());
    state.clustering_id = json.value("clustering_id", std::int64_t{0});
    state.problem = json.value("problem", std::string());
    if (const auto speed = json.find("speed"); speed != json.end()) state.speed = speed_from_json(*speed);
    if (state.clusters < 2 || state.epochs < 1 || state.model_folder.empty()) {
        return make_error(ErrorCode::corrupt_data, "the project's feature-learning record is incomplete");
    }
    record.state = std::move(state);
    return record;
}

Status write_record(Project& project, const FeatureLearningState& state) {
    return project.set_setting(kFeatureLearningKey, to_json(state).dump());
}

// A model folder no earlier training used: a finished one's model stays with its clustering.
std::string fresh_model_folder(const Project& project) {
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    std::string name = std::string(kTunedModelsFolder) + "/learned-" + std::to_string(now_ms);
    std::error_code ignored;
    for (int copy = 2; std::filesystem::exists(project.folder() / name, ignored); ++copy) {
        name = std::string(kTunedModelsFolder) + "/learned-" + std::to_string(now_ms) + "-" + std::to_string(copy);
    }
    return name;
}

std::string fresh_clustering_name(const Project& project) {
    std::set<std::string> names;
    if (auto all = project.clusterings()) {
        for (const auto& existing : *all) names.insert(existing.name);
    }
    std::string name = "learned features";
    for (int copy = 2; names.count(name); ++copy) name = "learned features (" + std::to_string(copy) + ")";
    return name;
}

// Progress of train_convnet (decoding in [0, 0.05], training after) placed on the job's own
// stages, whose shares are the measured times: its fixed split says nothing about this machine.
JobContext training_progress(const JobContext& job, double decode_end, double training_end) {
    constexpr double kConvnetDecodeShare = 0.05;
    return JobContext(job.stop_token(), [job, decode_end, training_end](double fraction, std::string_view message) {
        const double placed = fraction <= kConvnetDecodeShare
                                  ? decode_end * fraction / kConvnetDecodeShare
                                  : decode_end + (training_end - decode_end) * (fraction - kConvnetDecodeShare) /
                                                     (1.0 - kConvnetDecodeShare);
        job.report(placed, message);
    });
}

// Images whose cluster differs between two clusterings once each cluster of `after` is matched
// to the cluster of `before` it overlaps most under a one-to-one matching (cluster numbers of
// two unrelated clusterings mean nothing by themselves).
std::int64_t images_changed(const std::vector<int>& before, const std::vector<int>& after) {
    const auto matched = best_cluster_to_class_map(before, after);
    std::int64_t changed = 0;
    for (std::size_t i = 0; i < after.size() && i < before.size(); ++i) {
        const int cluster = after[i];
        const int counterpart = cluster >= 0 && static_cast<std::size_t>(cluster) < matched.size()
                                    ? matched[static_cast<std::size_t>(cluster)]
                                    : -1;
        changed += counterpart != before[i];
    }
    return changed;
}

constexpr double kWorseMargin = 0.005;

}  // namespace

namespace session_detail {

std::optional<std::filesystem::path> learned_model_folder(const Project& project, const std::string& encoder_id) {
    if (encoder_id.empty()) return std::nullopt;
    auto record = read_record(project);
    if (!record || !record->state || record->state->encoder_id != encoder_id) return std::nullopt;
    return project.folder() / record->state->model_folder;
}

}  // namespace session_detail

Status InteractiveSession::begin_feature_learning(const FeatureLearningPlan& plan) {
    return detail::guarded("starting to learn features", [&]() -> Status {
        auto& project = *state_->project;
        auto existing = read_record(project);
        if (!existing) return existing.error();
        if (existing->newer) {
            return make_error(ErrorCode::version_too_new,
                              "a newer Corral is learning features for this project; open it with that version");
        }
        if (existing->state && existing->state->status != FeatureLearningStatus::finished) {
            std::error_code ignored;
            std::filesystem::remove_all(project.folder() / existing->state->model_folder, ignored);
        }
        const ConvnetTrainingParams defaults = schedule_params(plan.schedule, state_->settings.clusters);
        FeatureLearningState state;
        state.status = FeatureLearningStatus::training;
        state.schedule = plan.schedule;
        state.clusters = state_->settings.clusters;
        state.epochs = plan.epochs > 0 ? plan.epochs : defaults.epochs;
        state.images_per_epoch = plan.images_per_epoch >= 0 ? plan.images_per_epoch : defaults.images_per_epoch;
        state.speed = plan.speed;
        state.model_folder = fresh_model_folder(project);
        return write_record(project, state);
    });
}

std::optional<FeatureLearningState> InteractiveSession::feature_learning() const {
    auto record = read_record(*state_->project);
    if (!record || !record->state) return std::nullopt;
    auto state = std::move(*record->state);
    if (auto info = read_convnet_info(state_->project->folder() / state.model_folder)) {
        state.epochs_completed = info->epochs_completed;
    }
    return state;
}

Expected<LearnedFeatures> InteractiveSession::learn_features(const JobContext& job) const {
    return detail::guarded("learning features", [&]() -> Expected<LearnedFeatures> {
        Stopwatch clock;
        auto& project = *state_->project;
        auto record = read_record(project);
        if (!record) return record.error();
        if (!record->state) return make_error(ErrorCode::not_found, "the project is not learning features");
        FeatureLearningState state = std::move(*record->state);
        const Dataset& dataset = *state_->dataset;
        auto params = state.training_params();
        params.output_folder = project.folder() / state.model_folder;
        params.resume = true;
        // A training paused by an earlier version continues in the shape it was begun in.
        if (auto adopted = adopt_checkpoint_architecture(params); !adopted) return adopted.error();

        // The stages' shares of the progress are their expected times on this machine.
        double begin = 0.0;
        if (!state.speed) {
            constexpr double kMeasuringShare = 0.02;
            auto speed = measure_convnet_speed(dataset, params, job.stage(0.0, kMeasuringShare));
            if (!speed) return speed.error();
            state.speed = *speed;
            if (auto saved = write_record(project, state); !saved) return saved.error();
            begin = kMeasuringShare;
        }
        int epochs_done = 0;
        if (auto info = read_convnet_info(params.output_folder)) epochs_done = info->epochs_completed;
        const auto time = expected_learning_time(*state.speed, params, dataset.size(), epochs_done);
        const double total = std::max(1e-9, time.total());
        const double decode_end = begin + (1.0 - begin) * time.decode_seconds / total;
        const double training_end = decode_end + (1.0 - begin) * time.training_seconds / total;

        auto trained = train_convnet(dataset, params,
                                     training_progress(job.stage(begin, 1.0), (decode_end - begin) / (1.0 - begin),
                                                       (training_end - begin) / (1.0 - begin)));
        if (!trained) return trained.error();
        auto encoder = create_image_encoder("convnet:" + params.output_folder.string());
        if (!encoder) return encoder.error();
        state.encoder_id = (*encoder)->id();
        // From here on the model's features are found through the record (encoder_source).
        if (auto saved = write_record(project, state); !saved) return saved.error();

        auto features = cached_features(project, **encoder, dataset, job.stage(training_end, 0.99));
        if (!features) return features.error();
        auto head = cluster_with_convnet_head(params.output_folder, features->features);
        if (!head) return head.error();
        ClusteringRecord clustering;
        clustering.name = "learned features";
        clustering.method = "convnet";
        clustering.encoder_id = state.encoder_id;
        clustering.cluster_count = state.clusters;
        clustering.parameters_json = nlohmann::json{{"clusters", state.clusters},
                                                    {"model", state.model_folder},
                                                    {"schedule", std::string(schedule_name(state.schedule))},
                                                    {"epochs", trained->epochs_completed}}
                                         .dump();
        clustering.assignment = std::move(head->assignment);
        auto prepared = state_->prepare(std::move(clustering), nullptr, job.stage(0.99, 1.0));
        if (!prepared) return prepared.error();

        LearnedFeatures learned;
        learned.clustering = std::make_shared<PreparedClustering>(PreparedClustering{std::move(*prepared)});
        learned.model_folder = state.model_folder;
        learned.encoder_id = state.encoder_id;
        learned.epochs_completed = trained->epochs_completed;
        learned.resumed_from_epoch = trained->resumed_from_epoch;
        learned.elapsed_ms = clock.elapsed_ms();
        job.report(1.0, "features learned");
        return learned;
    });
}

Expected<ClusteringChange> InteractiveSession::adopt_learned_features(const LearnedFeatures& learned) {
    return detail::guarded("adopting the learned features", [&]() -> Expected<ClusteringChange> {
        if (!learned.clustering || !learned.clustering->active) {
            return make_error(ErrorCode::invalid_argument, "nothing was learned");
        }
        auto& project = *state_->project;
        auto record = read_record(project);
        if (!record) return record.error();
        if (!record->state || record->state->encoder_id != learned.encoder_id) {
            return make_error(ErrorCode::invalid_argument, "the project's feature learning changed meanwhile");
        }
        const auto previous = state_->snapshot();
        auto next = std::make_shared<ActiveClustering>(*learned.clustering->active);
        next->record.name = fresh_clustering_name(project);
        auto id = project.save_clustering(next->record);
        if (!id) return id.error();
        next->record.id = *id;
        // The tuned-model map outlives this record: the clustering keeps its model when a later
        // training replaces the record.
        if (auto mapped = session_detail::record_model_folder(project, learned.encoder_id, learned.model_folder); !mapped) {
            return mapped.error();
        }
        if (auto current = project.set_current_clustering(*id); !current) return current.error();

        ClusteringChange change;
        change.previous_clustering_id = previous->record.id;
        change.clustering_id = *id;
        change.clustering_name = next->record.name;
        change.images = static_cast<std::int64_t>(next->record.assignment.size());
        change.images_changed = images_changed(previous->record.assignment, next->record.assignment);
        if (state_->round) {
            change.round_was_open = true;
            change.round_questions = static_cast<std::int64_t>(state_->round->samples.size());
            change.round_answered = state_->round->position;
            if (auto closed = project.close_round(state_->round->id); !closed) return closed.error();
            state_->round.reset();
        }
        state_->publish(std::move(next));
        if (state_->dataset->has_ground_truth()) {
            change.before = state_->scores_by_clustering[change.previous_clustering_id];
            change.after = state_->scores_by_clustering[*id];
            change.got_worse = change.after->acc < change.before->acc - kWorseMargin ||
                               change.after->nmi < change.before->nmi - kWorseMargin;
        }
        FeatureLearningState state = std::move(*record->state);
        state.status = FeatureLearningStatus::finished;
        state.clustering_id = *id;
        state.problem.clear();
        if (auto saved = write_record(project, state); !saved) return saved.error();
        return change;
    });
}

Status InteractiveSession::stop_feature_learning(const Error& why) {
    return detail::guarded("stopping feature learning", [&]() -> Status {
        auto record = read_record(*state_->project);
        if (!record) return record.error();
        if (!record->state) return ok();
        FeatureLearningState state = std::move(*record->state);
        if (why.code == ErrorCode::cancelled) {
            state.status = FeatureLearningStatus::paused;
            state.problem.clear();
        } else {
            state.status = FeatureLearningStatus::failed;
            state.problem = why.message;
        }
        return write_record(*state_->project, state);
    });
}

Status InteractiveSession::discard_feature_learning() {
    return detail::guarded("discarding feature learning", [&]() -> Status {
        auto& project = *state_->project;
        auto record = read_record(project);
        if (!record) return record.error();
        if (!record->state) return ok();
        if (record->state->status == FeatureLearningStatus::finished) {
            return make_error(ErrorCode::invalid_argument, "finished feature learning stays with the clustering it made");
        }
        std::error_code ignored;
        std::filesystem::remove_all(project.folder() / record->state->model_folder, ignored);
        return project.set_setting(kFeatureLearningKey, nlohmann::json{{"version", kFeatureLearningRecordVersion},
                                                                      {"status", kDiscarded}}
                                                            .dump());
    });
}

}  // namespace corral
