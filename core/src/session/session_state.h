#pragma once
// Private to core: what an InteractiveSession holds in memory between calls.
//
// Threading: the owner thread (the UI thread, or the CLI's one thread) is the only one that
// changes State. Worker steps (plan_round, train, prepare_switch, compute_map) take a snapshot
// of `active` (a shared_ptr to an immutable bundle) at their start and read only that, so
// adopting a new clustering swaps the pointer without touching what a job is reading.
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <span>

#include "corral/core/feedback_training.h"
#include "corral/core/interactive_session.h"
#include "corral/core/matrix.h"
#include "corral/core/project.h"
#include "corral/core/value_mining.h"

namespace corral {

// The current clustering with everything derived from it. Immutable once published.
struct ActiveClustering {
    ClusteringRecord record;
    std::shared_ptr<const FloatMatrix> features;       // L2-normalised features of record's encoder
    std::string encoder_id;
    std::optional<std::filesystem::path> model_folder;  // the trainable convnet behind the features
    FloatMatrix centres;                                // mean normalised feature of each cluster
    std::vector<std::vector<std::int64_t>> exemplars;   // per cluster, nearest the centre first
    std::shared_ptr<const FeedbackTrainer> head;        // head fitted to record (head fine-tuning)
};

struct PreparedClustering {
    std::shared_ptr<const ActiveClustering> active;
};

struct TrainedModel {
    std::optional<FeedbackTrainer> head;                // head fine-tuning: the tuned head
    // Network fine-tuning: the tuned model's folder inside the project (removed unless adopted)
    // and its re-encoded, L2-normalised features, already stored under `encoder_id`.
    std::filesystem::path model_folder;
    std::string model_folder_in_project;                // relative to the project folder
    std::string encoder_id;
    std::shared_ptr<const FloatMatrix> features;
    mutable bool adopted = false;

    TrainedModel() = default;
    TrainedModel(const TrainedModel&) = delete;
    TrainedModel& operator=(const TrainedModel&) = delete;
    ~TrainedModel();
};

struct SessionRoundTerms {
    std::vector<double> hardness, representativeness, diversity;  // per sample of the round
    std::int64_t diversity_seeds = 0;
    double neighbour_distance_squared = 0.0;
};

// The last similar_images answer: the features it counted in, the distance and the image.
struct NeighbourhoodCount {
    std::weak_ptr<const FloatMatrix> features;
    double distance_squared = 0.0;
    std::int64_t sample = -1;
    std::int64_t count = 0;
};

class InteractiveSession::State {
public:
    SessionSettings settings;
    std::unique_ptr<Project> project;
    std::shared_ptr<Dataset> dataset;
    std::optional<QueryRound> round;
    SessionRoundTerms round_terms;
    mutable NeighbourhoodCount last_neighbourhood;  // owner thread
    std::map<std::int64_t, ClusteringScores> scores_by_clustering;
    std::map<std::int64_t, std::int64_t> answers_by_clustering;

    // The miner caches representativeness (a kNN pass) for the features it saw last.
    mutable std::mutex miner_mutex;
    mutable ValueMiner miner;

    std::shared_ptr<const ActiveClustering> snapshot() const;
    void publish(std::shared_ptr<const ActiveClustering> next);
    const ActiveClustering& active() const { return *active_; }
    // A copy of the active bundle with another record (moves, renames): features and head shared.
    void publish_record(ClusteringRecord record);

    // Builds the bundle for `record` (features of its encoder, centres, exemplars, and the head
    // when head fine-tuning will use it). `reuse` is the bundle of the same encoder, when known.
    Expected<std::shared_ptr<const ActiveClustering>> prepare(ClusteringRecord record, const ActiveClustering* reuse,
                                                              const JobContext& job) const;

private:
    mutable std::mutex active_mutex_;
    std::shared_ptr<const ActiveClustering> active_;
};

// Where the project keeps the convnet models that answers tuned (relative folder per encoder id).
inline constexpr char kTunedModelsSetting[] = "session.tuned_models";
inline constexpr char kTunedModelsFolder[] = "models";

}  // namespace corral

namespace corral::session_detail {

inline constexpr char kSettingsKey[] = "session.settings";

// Mean normalised feature of each cluster (the centres IDC uses after the first round), and the
// members nearest each centre (up to 4 per cluster).
void centres_and_exemplars(const FloatMatrix& features, const std::vector<int>& assignment, int clusters,
                           FloatMatrix& centres, std::vector<std::vector<std::int64_t>>& exemplars);

// The `count` items of `members` whose features are most similar (dot product) to `centre`,
// nearest first, ties to the later item (count 0 = all): a cluster's exemplars and typical members.
std::vector<std::int64_t> nearest_to_centre(const FloatMatrix& features, std::span<const std::int64_t> members,
                                            std::span<const float> centre, std::size_t count);

// The head fine-tuning parameters of these settings for a clustering of `clusters` clusters.
FeedbackTrainerParams trainer_params(const SessionSettings& settings, int clusters);

// Network fine-tuning when the settings allow it and a trainable convnet made the features.
FineTuneTarget resolve_target(const SessionSettings& settings, const ActiveClustering& active);

// Records in the project that `encoder_id`'s features come from the convnet in `folder` (relative
// to the project folder), so reopening finds the model (session_training.cpp).
Status record_model_folder(Project& project, const std::string& encoder_id, const std::string& folder);

// The project's feature-learning record (session_feature_learning.cpp).
inline constexpr char kFeatureLearningKey[] = "session.feature_learning";
// The model folder of the convnet that feature learning trained, when it made `encoder_id`.
std::optional<std::filesystem::path> learned_model_folder(const Project& project, const std::string& encoder_id);

}  // namespace corral::session_detail
