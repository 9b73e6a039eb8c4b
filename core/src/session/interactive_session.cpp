#include "corral/core/interactive_session.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <queue>

#include "corral/core/convnet.h"
#include "corral/core/encoder.h"
#include "corral/core/kmeans.h"
#include "corral/core/project_data.h"
#include "corral/core/queries.h"
#include "session/session_state.h"

namespace corral {
namespace {

constexpr const char* kSettingsKey = "session.settings";
constexpr int kExemplarsPerCluster = 4;

nlohmann::json to_json(const SessionSettings& settings) {
    return {{"dataset_spec", settings.dataset_spec}, {"limit", settings.limit},
            {"encoder_spec", settings.encoder_spec}, {"clusters", settings.clusters},
            {"round_size", settings.round_size},     {"candidates", settings.candidates},
            {"fine_tune_epochs", settings.fine_tune_epochs}};
}

SessionSettings settings_from_json(const nlohmann::json& json) {
    SessionSettings settings;
    settings.dataset_spec = json.value("dataset_spec", settings.dataset_spec);
    settings.limit = json.value("limit", settings.limit);
    settings.encoder_spec = json.value("encoder_spec", settings.encoder_spec);
    settings.clusters = json.value("clusters", settings.clusters);
    settings.round_size = json.value("round_size", settings.round_size);
    settings.candidates = json.value("candidates", settings.candidates);
    settings.fine_tune_epochs = json.value("fine_tune_epochs", settings.fine_tune_epochs);
    return settings;
}

// The answers a fine-tuned clustering was learned from, as adopt_training stored them; 0 for others.
std::int64_t answers_learned_from(const ClusteringRecord& record) {
    if (record.parameters_json.empty()) return 0;
    const auto parameters = nlohmann::json::parse(record.parameters_json, nullptr, false);
    if (!parameters.is_object() || !parameters.contains("answers") || !parameters["answers"].is_number_integer()) return 0;
    return parameters["answers"].get<std::int64_t>();
}

FeedbackTrainerParams trainer_params(const SessionSettings& settings) {
    FeedbackTrainerParams params;
    params.clusters = settings.clusters;
    params.epochs = settings.fine_tune_epochs;
    return params;
}

// Mean normalised feature of each cluster (the centres IDC uses after the first round), and the
// members nearest each centre.
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
    using Entry = std::pair<float, std::int64_t>;  // similarity, item: a min-heap keeps the best few
    std::vector<std::priority_queue<Entry, std::vector<Entry>, std::greater<>>> best(static_cast<std::size_t>(clusters));
    for (std::int64_t i = 0; i < features.rows(); ++i) {
        const int cluster = assignment[static_cast<std::size_t>(i)];
        if (cluster < 0 || cluster >= clusters) continue;
        auto row = features.row(i);
        auto centre = centres.row(cluster);
        float similarity = 0.0f;
        for (std::size_t d = 0; d < row.size(); ++d) similarity += row[d] * centre[d];
        auto& heap = best[static_cast<std::size_t>(cluster)];
        heap.emplace(similarity, i);
        if (heap.size() > kExemplarsPerCluster) heap.pop();
    }
    exemplars.assign(static_cast<std::size_t>(clusters), {});
    for (int cluster = 0; cluster < clusters; ++cluster) {
        auto& heap = best[static_cast<std::size_t>(cluster)];
        auto& list = exemplars[static_cast<std::size_t>(cluster)];
        while (!heap.empty()) {
            list.push_back(heap.top().second);
            heap.pop();
        }
        std::reverse(list.begin(), list.end());
    }
}

// The encoder's features as stored in the project (not normalised: a convnet's cluster head reads them so).
Expected<FloatMatrix> encoded_features(Project& project, const SessionSettings& settings, const Dataset& dataset,
                                       std::string& encoder_id, const JobContext& job) {
    auto encoder = create_image_encoder(settings.encoder_spec);
    if (!encoder) return encoder.error();
    encoder_id = (*encoder)->id();
    auto cached = cached_features(project, **encoder, dataset, job);
    if (!cached) return cached.error();
    return std::move(cached->features);
}

// The pre-trained clustering model's clusters: the convnet's own cluster head when the encoder is
// a convnet (IDC fine-tunes that model), else cosine k-means on the normalised features.
Expected<ClusteringRecord> initial_record(const FloatMatrix& encoded, const FloatMatrix& normalised,
                                          const SessionSettings& settings, const JobContext& job) {
    ClusteringRecord record;
    record.cluster_count = settings.clusters;
    if (const auto folder = convnet_folder_of(settings.encoder_spec)) {
        auto head = cluster_with_convnet_head(*folder, encoded, job);
        if (!head) return head.error();
        if (head->probabilities.cols() != settings.clusters) {
            return make_error(ErrorCode::invalid_argument,
                              "the convnet was trained for " + std::to_string(head->probabilities.cols()) +
                                  " clusters, the project asks for " + std::to_string(settings.clusters));
        }
        record.name = "convnet clusters";
        record.method = "convnet";
        record.parameters_json = nlohmann::json{{"clusters", settings.clusters}, {"model", folder->string()}}.dump();
        record.assignment = std::move(head->assignment);
        return record;
    }
    KMeansParams params;
    params.clusters = settings.clusters;
    params.metric = DistanceMetric::cosine;
    auto kmeans = run_kmeans(normalised, params, job);
    if (!kmeans) return kmeans.error();
    record.name = "k-means";
    record.method = "kmeans";
    record.parameters_json = nlohmann::json{{"clusters", params.clusters}, {"restarts", params.restarts},
                                            {"metric", "cosine"}, {"inertia", kmeans->inertia}}.dump();
    record.assignment = std::move(kmeans->assignment);
    return record;
}

Expected<ClusteringRecord> initial_clustering(Project& project, const FloatMatrix& encoded, const FloatMatrix& normalised,
                                              const SessionSettings& settings, const std::string& encoder_id,
                                              const JobContext& job) {
    auto record = initial_record(encoded, normalised, settings, job);
    if (!record) return record.error();
    record->encoder_id = encoder_id;
    auto id = project.save_clustering(*record);
    if (!id) return id.error();
    record->id = *id;
    if (auto current = project.set_current_clustering(*id); !current) return current.error();
    return record;
}

}  // namespace

Status InteractiveSession::State::adopt_clustering(ClusteringRecord record, const JobContext& job, bool fit_head) {
    if (static_cast<std::int64_t>(record.assignment.size()) != features.rows()) {
        return make_error(ErrorCode::corrupt_data, "clustering '" + record.name + "' has " +
                                                       std::to_string(record.assignment.size()) + " entries for " +
                                                       std::to_string(features.rows()) + " images");
    }
    centres_and_exemplars(features, record.assignment, record.cluster_count, centres, exemplars);
    if (fit_head && !restore_head(record.id, record.cluster_count)) {
        auto params = trainer_params(settings);
        params.clusters = record.cluster_count;  // clusterings of one project may differ in K
        trainer = FeedbackTrainer(params);
        auto fitted = trainer.fit_initial(features, record.assignment, job);
        if (!fitted) return fitted.error();
    }
    if (dataset->has_ground_truth()) scores_by_clustering[record.id] = score_clustering(dataset->labels(), record.assignment);
    clustering = std::move(record);
    return ok();
}

bool InteractiveSession::State::restore_head(std::int64_t clustering_id, int clusters) {
    auto runs = project->runs();
    if (!runs) return false;
    for (auto run = runs->rbegin(); run != runs->rend(); ++run) {
        if (run->result_clustering_id != clustering_id) continue;
        auto checkpoints = project->checkpoints(run->id);
        if (!checkpoints || checkpoints->empty()) return false;
        auto bytes = project->load_checkpoint(checkpoints->back());
        if (!bytes) return false;
        auto params = trainer_params(settings);
        params.clusters = clusters;
        FeedbackTrainer restored(params);
        if (!restored.load_head(*bytes, features.cols())) return false;
        trainer = std::move(restored);
        return true;
    }
    return false;
}

InteractiveSession::InteractiveSession(std::unique_ptr<State> state) : state_(std::move(state)) {}
InteractiveSession::~InteractiveSession() = default;

namespace {

// Opens the dataset and features of a project whose settings are known, and brings back its
// clustering (making the initial one when there is none) and its open round.
Expected<std::unique_ptr<InteractiveSession::State>> load_state(std::unique_ptr<Project> project,
                                                                const SessionSettings& settings, bool registering,
                                                                const JobContext& job) {
    auto state = std::make_unique<InteractiveSession::State>();
    state->settings = settings;
    state->project = std::move(project);
    DatasetOptions options;
    options.limit = settings.limit;
    auto dataset = open_dataset(settings.dataset_spec, options, job.stage(0.0, 0.1));
    if (!dataset) return dataset.error();
    state->dataset = std::shared_ptr<Dataset>(std::move(*dataset));
    if (registering) {
        if (auto registered = register_dataset(*state->project, settings.dataset_spec, settings.limit, *state->dataset,
                                               job.stage(0.1, 0.2));
            !registered) {
            return registered.error();
        }
    }
    auto encoded = encoded_features(*state->project, settings, *state->dataset, state->encoder_id, job.stage(0.2, 0.6));
    if (!encoded) return encoded.error();
    state->features = *encoded;
    normalize_rows(state->features);

    auto current_id = state->project->current_clustering_id();
    if (!current_id) return current_id.error();
    ClusteringRecord record;
    if (*current_id) {
        auto stored = state->project->clustering(**current_id);
        if (!stored) return stored.error();
        record = std::move(*stored);
    } else {
        job.report(0.6, "initial clusters");
        auto made = initial_clustering(*state->project, *encoded, state->features, settings, state->encoder_id,
                                       job.stage(0.6, 0.8));
        if (!made) return made.error();
        record = std::move(*made);
    }
    job.report(0.8, "fitting the clustering head");
    if (auto adopted = state->adopt_clustering(std::move(record), job.stage(0.8, 1.0), true); !adopted) {
        return adopted.error();
    }
    auto resume = state->project->resume_state();
    if (!resume) return resume.error();
    state->round = resume->open_round;
    if (state->round && !state->round->parameters_json.empty()) {
        const auto terms = nlohmann::json::parse(state->round->parameters_json, nullptr, false);
        if (!terms.is_discarded() && terms.contains("hardness")) {
            state->round_terms.hardness = terms["hardness"].get<std::vector<double>>();
            state->round_terms.representativeness = terms["representativeness"].get<std::vector<double>>();
            state->round_terms.diversity = terms["diversity"].get<std::vector<double>>();
        }
    }
    auto answers = state->project->answers();
    if (!answers) return answers.error();
    for (const auto& answer : *answers) {
        if (answer.clustering_id) ++state->answers_by_clustering[*answer.clustering_id];
    }
    job.report(1.0, "ready");
    return state;
}

}  // namespace

Expected<std::unique_ptr<InteractiveSession>> InteractiveSession::create(const std::filesystem::path& folder,
                                                                         const SessionSettings& settings,
                                                                         const JobContext& job) {
    if (settings.clusters < 2) return make_error(ErrorCode::invalid_argument, "at least two clusters are needed");
    auto project = Project::create(folder);
    if (!project) return project.error();
    if (auto saved = (*project)->set_setting(kSettingsKey, to_json(settings).dump()); !saved) return saved.error();
    auto state = load_state(std::move(*project), settings, true, job);
    if (!state) return state.error();
    return std::unique_ptr<InteractiveSession>(new InteractiveSession(std::move(*state)));
}

Expected<std::unique_ptr<InteractiveSession>> InteractiveSession::open(const std::filesystem::path& folder,
                                                                       const JobContext& job) {
    auto project = Project::open(folder);
    if (!project) return project.error();
    auto stored = (*project)->setting(kSettingsKey);
    if (!stored) return stored.error();
    SessionSettings settings;
    if (*stored) {
        const auto json = nlohmann::json::parse(**stored, nullptr, false);
        if (json.is_discarded()) return make_error(ErrorCode::corrupt_data, "the project's session settings are damaged");
        settings = settings_from_json(json);
    } else {
        // A project made by corral-cli: take the dataset from its record and the clustering size from the current one.
        auto dataset = (*project)->dataset();
        if (!dataset) return dataset.error();
        if (!*dataset) return make_error(ErrorCode::not_found, folder.string() + " has no dataset yet");
        settings.dataset_spec = (*dataset)->spec;
        settings.limit = (*dataset)->limit;
        if (auto current = (*project)->current_clustering_id(); current && *current) {
            if (auto record = (*project)->clustering(**current)) settings.clusters = record->cluster_count;
        }
        if (auto saved = (*project)->set_setting(kSettingsKey, to_json(settings).dump()); !saved) return saved.error();
    }
    auto state = load_state(std::move(*project), settings, true, job);
    if (!state) return state.error();
    return std::unique_ptr<InteractiveSession>(new InteractiveSession(std::move(*state)));
}

const SessionSettings& InteractiveSession::settings() const { return state_->settings; }
std::shared_ptr<const Dataset> InteractiveSession::dataset() const { return state_->dataset; }
Project& InteractiveSession::project() { return *state_->project; }
const ClusteringRecord& InteractiveSession::clustering() const { return state_->clustering; }

std::vector<std::string> InteractiveSession::cluster_names() const {
    std::vector<std::string> names(static_cast<std::size_t>(state_->clustering.cluster_count));
    for (std::size_t k = 0; k < names.size(); ++k) {
        const auto& stored = state_->clustering.cluster_names;
        names[k] = k < stored.size() && !stored[k].empty() ? stored[k] : "Cluster " + std::to_string(k + 1);
    }
    return names;
}

std::vector<ClusteringSummary> InteractiveSession::history() const {
    std::vector<ClusteringSummary> summaries;
    auto records = state_->project->clusterings();
    if (!records) return summaries;
    for (const auto& record : *records) {
        ClusteringSummary summary{record.id, record.name, record.method, record.cluster_count, std::nullopt, 0, 0};
        summary.answers_used = answers_learned_from(record);
        if (auto found = state_->scores_by_clustering.find(record.id); found != state_->scores_by_clustering.end()) {
            summary.scores = found->second;
        } else if (state_->dataset->has_ground_truth()) {
            if (auto full = state_->project->clustering(record.id);
                full && full->assignment.size() == state_->dataset->labels().size()) {
                summary.scores = state_->scores_by_clustering[record.id] =
                    score_clustering(state_->dataset->labels(), full->assignment);
            }
        }
        if (auto found = state_->answers_by_clustering.find(record.id); found != state_->answers_by_clustering.end()) {
            summary.answers_given = found->second;
        }
        summaries.push_back(summary);
    }
    return summaries;
}

std::int64_t InteractiveSession::active_answer_count() const {
    auto answers = state_->project->answers();
    return answers ? static_cast<std::int64_t>(answers->size()) : 0;
}

}  // namespace corral
