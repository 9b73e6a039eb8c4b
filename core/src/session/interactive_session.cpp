#include "corral/core/interactive_session.h"

#include <nlohmann/json.hpp>

#include "corral/core/convnet.h"
#include "corral/core/kmeans.h"
#include "corral/core/project_data.h"
#include "session/build_stages.h"
#include "session/session_state.h"

namespace corral {
namespace {

using session_detail::kSettingsKey;

// Of the progress of building or opening a project: listing the images, then timing the stages
// on a sample, at least. How long these take against the rest is only known once both are done
// (the rest then starts where the time says).
constexpr double kListingEnd = 0.01;
constexpr double kTimingEnd = 0.02;

const char* target_key(FineTuneTarget target) {
    switch (target) {
        case FineTuneTarget::network: return "network";
        case FineTuneTarget::head: return "head";
        case FineTuneTarget::automatic: break;
    }
    return "automatic";
}

FineTuneTarget target_from_key(const std::string& key) {
    if (key == "network") return FineTuneTarget::network;
    if (key == "head") return FineTuneTarget::head;
    return FineTuneTarget::automatic;
}

nlohmann::json to_json(const SessionSettings& settings) {
    return {{"dataset_spec", settings.dataset_spec},
            {"limit", settings.limit},
            {"encoder_spec", settings.encoder_spec},
            {"clusters", settings.clusters},
            {"round_size", settings.round_size},
            {"candidates", settings.candidates},
            {"fine_tune_epochs", settings.fine_tune_epochs},
            {"strategy", std::string(selection_strategy_name(settings.strategy))},
            {"weights", {settings.weights.hardness, settings.weights.representativeness, settings.weights.diversity}},
            {"fine_tune_target", target_key(settings.fine_tune_target)},
            {"learning_rate", settings.learning_rate},
            {"frozen_leading_blocks", settings.frozen_leading_blocks},
            {"confidence_threshold", settings.confidence_threshold},
            {"answer_neighbours", settings.answer_neighbours},
            {"seed", settings.seed}};
}

// Settings written by older versions lack the later keys: they get the defaults.
SessionSettings settings_from_json(const nlohmann::json& json) {
    SessionSettings settings;
    settings.dataset_spec = json.value("dataset_spec", settings.dataset_spec);
    settings.limit = json.value("limit", settings.limit);
    settings.encoder_spec = json.value("encoder_spec", settings.encoder_spec);
    settings.clusters = json.value("clusters", settings.clusters);
    settings.round_size = json.value("round_size", settings.round_size);
    settings.candidates = json.value("candidates", settings.candidates);
    settings.fine_tune_epochs = json.value("fine_tune_epochs", settings.fine_tune_epochs);
    settings.strategy = selection_strategy_from_name(json.value("strategy", std::string("hard-rep-div")))
                            .value_or(SelectionStrategy::hard_representative_diverse);
    if (const auto weights = json.find("weights"); weights != json.end() && weights->is_array() && weights->size() == 3) {
        settings.weights = {(*weights)[0].get<double>(), (*weights)[1].get<double>(), (*weights)[2].get<double>()};
    }
    settings.fine_tune_target = target_from_key(json.value("fine_tune_target", std::string("automatic")));
    settings.learning_rate = json.value("learning_rate", settings.learning_rate);
    settings.frozen_leading_blocks = json.value("frozen_leading_blocks", settings.frozen_leading_blocks);
    settings.seed = json.value("seed", settings.seed);
    settings.confidence_threshold = json.value("confidence_threshold", settings.confidence_threshold);
    // A project created before answers were lent keeps the recipe it was created with.
    settings.answer_neighbours = json.value("answer_neighbours", 0);
    return settings;
}

Status check_settings(const SessionSettings& settings) {
    auto invalid = [](const std::string& message) { return make_error(ErrorCode::invalid_argument, message); };
    if (settings.clusters < 2) return invalid("at least two clusters are needed");
    if (settings.round_size < 1) return invalid("a round needs at least one question");
    if (settings.candidates < 1) return invalid("a question needs at least one candidate cluster");
    if (settings.fine_tune_epochs < 1) return invalid("fine-tuning needs at least one epoch");
    if (!(settings.learning_rate >= 0.0) || settings.learning_rate > 1.0) return invalid("the learning rate must lie in [0, 1]");
    if (settings.frozen_leading_blocks < 0) return invalid("the number of frozen blocks must not be negative");
    if (!(settings.confidence_threshold > 0.0 && settings.confidence_threshold < 1.0)) {
        return invalid("the confidence threshold must lie strictly between 0 and 1");
    }
    if (!(settings.weights.diversity >= 0.0)) return invalid("the diversity weight must not be negative");
    if (settings.answer_neighbours < 0) return invalid("the number of neighbours an answer is lent to must not be negative");
    return ok();
}

// The answers a fine-tuned clustering was learned from, as adopt_training stored them; 0 for others.
std::int64_t answers_learned_from(const ClusteringRecord& record) {
    if (record.parameters_json.empty()) return 0;
    const auto parameters = nlohmann::json::parse(record.parameters_json, nullptr, false);
    if (!parameters.is_object() || !parameters.contains("answers") || !parameters["answers"].is_number_integer()) return 0;
    return parameters["answers"].get<std::int64_t>();
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
    params.seed = settings.seed;
    auto kmeans = run_kmeans(normalised, params, job);
    if (!kmeans) return kmeans.error();
    record.name = "k-means";
    record.method = "kmeans";
    record.parameters_json = nlohmann::json{{"clusters", params.clusters}, {"restarts", params.restarts},
                                            {"metric", "cosine"}, {"inertia", kmeans->inertia}}.dump();
    record.assignment = std::move(kmeans->assignment);
    return record;
}

// The initial clustering of a new project, stored and made current.
Expected<ClusteringRecord> initial_clustering(Project& project, const Dataset& dataset, const SessionSettings& settings,
                                              ImageEncoder& encoder, const JobContext& encoding,
                                              const JobContext& clustering) {
    auto cached = cached_features(project, encoder, dataset, encoding);
    if (!cached) return cached.error();
    FloatMatrix normalised = cached->features;
    normalize_rows(normalised);
    clustering.report(0.0, "initial clusters");
    auto record = initial_record(cached->features, normalised, settings, clustering);
    if (!record) return record.error();
    record->encoder_id = encoder.id();
    auto id = project.save_clustering(*record);
    if (!id) return id.error();
    record->id = *id;
    if (auto current = project.set_current_clustering(*id); !current) return current.error();
    return record;
}

void restore_round(InteractiveSession::State& state, std::optional<QueryRound> round) {
    state.round = std::move(round);
    state.round_terms = {};
    if (!state.round || state.round->parameters_json.empty()) return;
    const auto terms = nlohmann::json::parse(state.round->parameters_json, nullptr, false);
    if (terms.is_discarded() || !terms.contains("hardness")) return;
    state.round_terms.hardness = terms["hardness"].get<std::vector<double>>();
    state.round_terms.representativeness = terms["representativeness"].get<std::vector<double>>();
    state.round_terms.diversity = terms["diversity"].get<std::vector<double>>();
    state.round_terms.diversity_seeds = terms.value("diversity_seeds", std::int64_t{0});
    state.round_terms.neighbour_distance_squared = terms.value("neighbour_distance_squared", 0.0);
}

// Opens the dataset of a project whose settings are known, and brings back its clustering
// (making the initial one when there is none) and its open round.
Expected<std::unique_ptr<InteractiveSession::State>> load_state(std::unique_ptr<Project> project,
                                                                const SessionSettings& settings, const JobContext& job) {
    auto state = std::make_unique<InteractiveSession::State>();
    state->settings = settings;
    state->project = std::move(project);
    ValueMinerParams mining;
    mining.strategy = settings.strategy;
    mining.weights = settings.weights;
    mining.seed = settings.seed;
    state->miner.set_params(mining);
    // Listed first, then the stages that follow are timed on a sample of it, so that each one's
    // share of the progress is its share of the time; then the images are checked.
    const Stopwatch clock;
    DatasetOptions options;
    options.limit = settings.limit;
    options.validate_images = false;
    auto listed = open_dataset(settings.dataset_spec, options, job.stage(0.0, kListingEnd));
    if (!listed) return listed.error();

    auto current_id = state->project->current_clustering_id();
    if (!current_id) return current_id.error();
    auto registered = state->project->dataset();
    if (!registered) return registered.error();
    std::optional<ClusteringRecord> current;
    if (*current_id) {
        auto stored = state->project->clustering(**current_id);
        if (!stored) return stored.error();
        current = std::move(*stored);
    }
    session_detail::BuildStages stages;
    stages.check = true;
    stages.record = !*registered || (*registered)->image_count != (*listed)->size();
    stages.cluster = !current;
    std::unique_ptr<ImageEncoder> encoder;
    if (stages.cluster) {
        auto created = create_image_encoder(settings.encoder_spec);
        if (!created) return created.error();
        encoder = std::move(*created);
        stages.fit_head = settings.fine_tune_target == FineTuneTarget::head || !convnet_folder_of(settings.encoder_spec);
    } else {
        // Reopened on a convnet's clustering the network is fine-tuned: no head to fit.
        stages.fit_head = current->encoder_id.rfind("convnet-", 0) != 0 || settings.fine_tune_target == FineTuneTarget::head;
        if (auto encoders = state->project->encoders()) {
            for (const auto& stored : *encoders) {
                if (stored.encoder_id == current->encoder_id) stages.feature_columns = stored.cols;
            }
        }
    }
    auto seconds = session_detail::measure_build_stages(**listed, settings, stages, encoder.get(),
                                                        job.stage(kListingEnd, kTimingEnd));
    if (!seconds) return seconds.error();
    // Listing and timing are done: their share of the progress is now known, the time they took
    // against the time the rest will take. The bar moves there at once.
    const double spent = clock.elapsed_ms() / 1000.0;
    const double begin = std::clamp(spent / std::max(1e-9, spent + seconds->total()), kTimingEnd, 0.5);
    const auto progress = session_detail::plan_build_progress(job, begin, *seconds);

    auto dataset = check_images(std::move(*listed), progress.checking);
    if (!dataset) return dataset.error();
    state->dataset = std::shared_ptr<Dataset>(std::move(*dataset));
    if (auto recorded = register_dataset(*state->project, settings.dataset_spec, settings.limit, *state->dataset,
                                         progress.recording);
        !recorded) {
        return recorded.error();
    }
    ClusteringRecord record;
    if (current) {
        record = std::move(*current);
    } else {
        auto made = initial_clustering(*state->project, *state->dataset, settings, *encoder, progress.encoding,
                                       progress.clustering);
        if (!made) return made.error();
        record = std::move(*made);
    }
    progress.preparing.report(0.0, "preparing the clustering");
    auto active = state->prepare(std::move(record), nullptr, progress.preparing);
    if (!active) return active.error();
    state->publish(std::move(*active));
    auto resume = state->project->resume_state();
    if (!resume) return resume.error();
    restore_round(*state, resume->open_round);
    auto answers = state->project->answers();
    if (!answers) return answers.error();
    for (const auto& answer : *answers) {
        if (answer.clustering_id) ++state->answers_by_clustering[*answer.clustering_id];
    }
    job.report(1.0, "ready");
    return state;
}

}  // namespace

std::shared_ptr<const ActiveClustering> InteractiveSession::State::snapshot() const {
    std::lock_guard lock(active_mutex_);
    return active_;
}

void InteractiveSession::State::publish(std::shared_ptr<const ActiveClustering> next) {
    if (dataset->has_ground_truth()) {
        scores_by_clustering[next->record.id] = score_clustering(dataset->labels(), next->record.assignment);
    }
    std::lock_guard lock(active_mutex_);
    active_ = std::move(next);
}

void InteractiveSession::State::publish_record(ClusteringRecord record) {
    auto next = std::make_shared<ActiveClustering>(*active_);
    next->record = std::move(record);
    publish(std::move(next));
}

InteractiveSession::InteractiveSession(std::unique_ptr<State> state) : state_(std::move(state)) {}
InteractiveSession::~InteractiveSession() = default;

Expected<std::unique_ptr<InteractiveSession>> InteractiveSession::create(const std::filesystem::path& folder,
                                                                         const SessionSettings& settings,
                                                                         const JobContext& job) {
    if (auto valid = check_settings(settings); !valid) return valid.error();
    auto project = Project::create(folder);
    if (!project) return project.error();
    if (auto saved = (*project)->set_setting(kSettingsKey, to_json(settings).dump()); !saved) return saved.error();
    auto state = load_state(std::move(*project), settings, job);
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
    auto state = load_state(std::move(*project), settings, job);
    if (!state) return state.error();
    return std::unique_ptr<InteractiveSession>(new InteractiveSession(std::move(*state)));
}

const SessionSettings& InteractiveSession::settings() const { return state_->settings; }
std::shared_ptr<const Dataset> InteractiveSession::dataset() const { return state_->dataset; }
Project& InteractiveSession::project() { return *state_->project; }
const ClusteringRecord& InteractiveSession::clustering() const { return state_->active().record; }
std::shared_ptr<const FloatMatrix> InteractiveSession::features() const { return state_->snapshot()->features; }

std::vector<std::string> InteractiveSession::cluster_names() const {
    const auto& record = state_->active().record;
    std::vector<std::string> names(static_cast<std::size_t>(record.cluster_count));
    for (std::size_t k = 0; k < names.size(); ++k) {
        const auto& stored = record.cluster_names;
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
