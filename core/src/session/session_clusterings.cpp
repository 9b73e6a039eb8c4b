// Clusterings of a session: preparing one off the owner thread (features of its encoder,
// centres, exemplars, head), adopting it, and the clusterings made elsewhere.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>

#include "corral/core/convnet.h"
#include "corral/core/encoder.h"
#include "corral/core/interactive_session.h"
#include "corral/core/project_data.h"
#include "guard.h"
#include "session/session_state.h"

namespace corral {
namespace session_detail {

constexpr std::size_t kExemplarsPerCluster = 4;

void centres_and_exemplars(const FloatMatrix& features, const std::vector<int>& assignment, int clusters,
                           FloatMatrix& centres, std::vector<std::vector<std::int64_t>>& exemplars) {
    centres = FloatMatrix(clusters, features.cols());
    std::vector<std::int64_t> counts(static_cast<std::size_t>(clusters), 0);
    for (std::int64_t i = 0; i < features.rows(); ++i) {
        const int cluster = assignment[static_cast<std::size_t>(i)];
        if (cluster < 0 || cluster >= clusters) continue;
        ++counts[static_cast<std::size_t>(cluster)];
        auto centre = centres.row(cluster);
        auto row = features.row(i);
        for (std::size_t d = 0; d < row.size(); ++d) centre[d] += row[d];
    }
    normalize_rows(centres);
    std::vector<std::vector<std::int64_t>> members(static_cast<std::size_t>(clusters));
    for (std::int64_t i = 0; i < features.rows(); ++i) {
        const int cluster = assignment[static_cast<std::size_t>(i)];
        if (cluster >= 0 && cluster < clusters) members[static_cast<std::size_t>(cluster)].push_back(i);
    }
    exemplars.assign(static_cast<std::size_t>(clusters), {});
    for (int cluster = 0; cluster < clusters; ++cluster) {
        exemplars[static_cast<std::size_t>(cluster)] = nearest_to_centre(
            features, members[static_cast<std::size_t>(cluster)], centres.row(cluster), kExemplarsPerCluster);
    }
}

std::vector<std::int64_t> nearest_to_centre(const FloatMatrix& features, std::span<const std::int64_t> members,
                                            std::span<const float> centre, std::size_t count) {
    std::vector<std::pair<float, std::int64_t>> ranked;  // similarity, item
    ranked.reserve(members.size());
    for (const auto item : members) {
        const auto row = features.row(item);
        float similarity = 0.0f;
        for (std::size_t d = 0; d < row.size(); ++d) similarity += row[d] * centre[d];
        ranked.emplace_back(similarity, item);
    }
    const std::size_t kept = count == 0 ? ranked.size() : std::min(count, ranked.size());
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(kept), ranked.end(), std::greater<>());
    std::vector<std::int64_t> nearest;
    nearest.reserve(kept);
    for (std::size_t k = 0; k < kept; ++k) nearest.push_back(ranked[k].second);
    return nearest;
}

FeedbackTrainerParams trainer_params(const SessionSettings& settings, int clusters) {
    FeedbackTrainerParams params;
    params.clusters = clusters;
    params.epochs = settings.fine_tune_epochs;
    if (settings.learning_rate > 0.0) params.learning_rate = settings.learning_rate;
    params.seed = settings.seed;
    params.confidence_threshold = settings.confidence_threshold;
    return params;
}

FineTuneTarget resolve_target(const SessionSettings& settings, const ActiveClustering& active) {
    if (settings.fine_tune_target == FineTuneTarget::head || !active.model_folder) return FineTuneTarget::head;
    return FineTuneTarget::network;
}

}  // namespace session_detail

namespace {

// Where the features of `encoder_id` come from: the settings' encoder, or a convnet that answers
// tuned (its folder inside the project). nullopt spec: only the stored features are known.
struct EncoderSource {
    std::optional<std::string> spec;
    std::optional<std::filesystem::path> model_folder;
};

Expected<EncoderSource> encoder_source(const Project& project, const SessionSettings& settings,
                                       const std::string& encoder_id) {
    auto tuned = project.setting(kTunedModelsSetting);
    if (!tuned) return tuned.error();
    if (*tuned) {
        const auto models = nlohmann::json::parse(**tuned, nullptr, false);
        if (models.is_object() && models.contains(encoder_id) && models[encoder_id].is_string()) {
            const auto folder = project.folder() / models[encoder_id].get<std::string>();
            return EncoderSource{"convnet:" + folder.string(), folder};
        }
    }
    if (auto learned = session_detail::learned_model_folder(project, encoder_id)) {
        return EncoderSource{"convnet:" + learned->string(), learned};
    }
    EncoderSource source{settings.encoder_spec, convnet_folder_of(settings.encoder_spec)};
    if (encoder_id.empty()) return source;
    auto encoder = create_image_encoder(settings.encoder_spec);
    if (encoder && (*encoder)->id() == encoder_id) return source;
    return EncoderSource{};
}

// The L2-normalised features of `encoder_id` (computed and stored when missing or damaged).
Expected<FloatMatrix> features_of(Project& project, const SessionSettings& settings, const Dataset& dataset,
                                  const EncoderSource& source, const std::string& encoder_id, const JobContext& job) {
    FloatMatrix features;
    if (source.spec) {
        auto encoder = create_image_encoder(*source.spec);
        if (!encoder) return encoder.error();
        auto cached = cached_features(project, **encoder, dataset, job);
        if (!cached) return cached.error();
        features = std::move(cached->features);
    } else {
        auto stored = project.load_embeddings(encoder_id);
        if (!stored) {
            return make_error(stored.error().code, "the features of encoder '" + encoder_id +
                                                       "' are not in the project and its model is unknown: " +
                                                       stored.error().message);
        }
        features = std::move(*stored);
    }
    if (features.rows() != dataset.size()) {
        return make_error(ErrorCode::corrupt_data, "the features of encoder '" + encoder_id + "' have " +
                                                       std::to_string(features.rows()) + " rows for " +
                                                       std::to_string(dataset.size()) + " images");
    }
    normalize_rows(features);
    return features;
}

// The fine-tuned head stored with the run that produced `clustering_id` (so a reopened project
// learns on from the same model); nullopt when there is none or it is unusable.
std::optional<FeedbackTrainer> restored_head(const Project& project, const SessionSettings& settings,
                                             std::int64_t clustering_id, int clusters, std::int64_t feature_dimension) {
    auto runs = project.runs();
    if (!runs) return std::nullopt;
    for (auto run = runs->rbegin(); run != runs->rend(); ++run) {
        if (run->result_clustering_id != clustering_id) continue;
        auto checkpoints = project.checkpoints(run->id);
        if (!checkpoints || checkpoints->empty()) return std::nullopt;
        auto bytes = project.load_checkpoint(checkpoints->back());
        if (!bytes) return std::nullopt;
        FeedbackTrainer restored(session_detail::trainer_params(settings, clusters));
        if (!restored.load_head(*bytes, feature_dimension)) return std::nullopt;
        return restored;
    }
    return std::nullopt;
}

}  // namespace

Expected<std::shared_ptr<const ActiveClustering>> InteractiveSession::State::prepare(ClusteringRecord record,
                                                                                    const ActiveClustering* reuse,
                                                                                    const JobContext& job) const {
    auto active = std::make_shared<ActiveClustering>();
    if (reuse && (record.encoder_id.empty() || record.encoder_id == reuse->encoder_id)) {
        active->features = reuse->features;
        active->encoder_id = reuse->encoder_id;
        active->model_folder = reuse->model_folder;
    } else {
        auto source = encoder_source(*project, settings, record.encoder_id);
        if (!source) return source.error();
        // Loading stored features is one read; the head's fit below is what takes the time.
        auto features = features_of(*project, settings, *dataset, *source, record.encoder_id, job.stage(0.0, 0.05));
        if (!features) return features.error();
        active->features = std::make_shared<const FloatMatrix>(std::move(*features));
        active->model_folder = source->model_folder;
        active->encoder_id = record.encoder_id;
        if (active->encoder_id.empty() && source->spec) {
            if (auto encoder = create_image_encoder(*source->spec)) active->encoder_id = (*encoder)->id();
        }
    }
    const FloatMatrix& features = *active->features;
    if (static_cast<std::int64_t>(record.assignment.size()) != features.rows()) {
        return make_error(ErrorCode::corrupt_data, "clustering '" + record.name + "' has " +
                                                       std::to_string(record.assignment.size()) + " entries for " +
                                                       std::to_string(features.rows()) + " images");
    }
    session_detail::centres_and_exemplars(features, record.assignment, record.cluster_count, active->centres,
                                          active->exemplars);
    if (session_detail::resolve_target(settings, *active) == FineTuneTarget::head) {
        auto head = restored_head(*project, settings, record.id, record.cluster_count, features.cols());
        if (!head) {
            job.report(0.05, "fitting the clustering head");
            FeedbackTrainer fitted(session_detail::trainer_params(settings, record.cluster_count));
            auto fit = fitted.fit_initial(features, record.assignment, job.stage(0.05, 1.0));
            if (!fit) return fit.error();
            head = std::move(fitted);
        }
        active->head = std::make_shared<const FeedbackTrainer>(std::move(*head));
    }
    active->record = std::move(record);
    return std::shared_ptr<const ActiveClustering>(std::move(active));
}

FineTuneTarget InteractiveSession::fine_tune_target() const {
    return session_detail::resolve_target(state_->settings, state_->active());
}

Expected<std::shared_ptr<const PreparedClustering>> InteractiveSession::prepare_switch(std::int64_t clustering_id,
                                                                                      const JobContext& job) const {
    return detail::guarded("switching clusterings", [&]() -> Expected<std::shared_ptr<const PreparedClustering>> {
        auto record = state_->project->clustering(clustering_id);
        if (!record) return record.error();
        const auto current = state_->snapshot();
        auto active = state_->prepare(std::move(*record), current.get(), job);
        if (!active) return active.error();
        auto prepared = std::make_shared<PreparedClustering>();
        prepared->active = std::move(*active);
        return std::shared_ptr<const PreparedClustering>(std::move(prepared));
    });
}

Status InteractiveSession::adopt_switch(const PreparedClustering& prepared) {
    if (!prepared.active) return make_error(ErrorCode::invalid_argument, "nothing was prepared");
    if (auto current = state_->project->set_current_clustering(prepared.active->record.id); !current) return current;
    if (state_->round) {
        if (auto closed = state_->project->close_round(state_->round->id); !closed) return closed;
        state_->round.reset();
    }
    state_->publish(prepared.active);
    return ok();
}

Status InteractiveSession::switch_clustering(std::int64_t clustering_id, const JobContext& job) {
    if (clustering_id == state_->active().record.id) return ok();
    auto prepared = prepare_switch(clustering_id, job);
    if (!prepared) return prepared.error();
    return adopt_switch(**prepared);
}

Expected<std::int64_t> InteractiveSession::add_clustering(ClusteringRecord record) {
    const auto rows = state_->active().features->rows();
    if (static_cast<std::int64_t>(record.assignment.size()) != rows) {
        return make_error(ErrorCode::invalid_argument, "the clustering has " + std::to_string(record.assignment.size()) +
                                                           " entries for " + std::to_string(rows) + " images");
    }
    if (record.encoder_id.empty()) record.encoder_id = state_->active().encoder_id;
    return state_->project->save_clustering(record);
}

Status InteractiveSession::rename_clustering(std::int64_t clustering_id, const std::string& name) {
    if (auto renamed = state_->project->rename_clustering(clustering_id, name); !renamed) return renamed;
    if (clustering_id == state_->active().record.id) {
        auto record = state_->active().record;
        record.name = name;
        state_->publish_record(std::move(record));
    }
    return ok();
}

}  // namespace corral
