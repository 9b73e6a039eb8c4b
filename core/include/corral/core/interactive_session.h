#pragma once
// The interactive loop of Corral over one project: encode -> initial clusters -> query round ->
// answers -> fine-tune -> new clusters, everything stored in the project as it happens. Both
// front ends drive it (the GUI from a worker thread for the heavy steps, the CLI directly).
//
// Threading: the heavy steps are split into plan_* / train (pure work, callable from a worker
// thread, reading a snapshot) and adopt_* (cheap, storing the result; call on the owner thread).
// answer()/undo() are cheap and return only after the answer is durably committed.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "corral/core/dataset.h"
#include "corral/core/expected.h"
#include "corral/core/feature_learning.h"
#include "corral/core/job.h"
#include "corral/core/matrix.h"
#include "corral/core/metrics.h"
#include "corral/core/project_types.h"
#include "corral/core/tsne.h"
#include "corral/core/value_mining.h"

namespace corral {

class Project;

// The project map (Project::store_map) that the session and `corral-cli map --project` write:
// t-SNE of the L2-normalised encoder features.
inline constexpr char kTsneMapName[] = "tsne";

// t-SNE parameters for a map of encoder features with `feature_columns` columns: no PCA step up
// to 256 columns, because encoder features are already compact and the pixel encoder's are
// whitened, where the top 50 components keep little of the neighbourhoods (Fashion-MNIST 2000:
// 10-NN accuracy 0.80 on the features, 0.54 after PCA to 50).
TsneParams map_tsne_params(std::int64_t feature_columns);

// What the answers fine-tune (DESIGN §4): the clustering network itself when the encoder is
// trainable (the embedded convnet: backbone and its cluster head, re-encoding every image), or a
// head on cached features (the quick path, and the only one for frozen encoders: CLIP, pixels).
enum class FineTuneTarget { automatic, network, head };

struct SessionSettings {
    std::string dataset_spec = "fashion-mnist";
    std::int64_t limit = 0;          // DatasetOptions::limit
    std::string encoder_spec = "pixels";
    int clusters = 10;
    int round_size = 50;             // queries per round (the paper asks 500 in one round)
    int candidates = 5;              // T
    int fine_tune_epochs = 100;
    SelectionStrategy strategy = SelectionStrategy::hard_representative_diverse;
    ValueWeights weights;
    FineTuneTarget fine_tune_target = FineTuneTarget::automatic;
    double learning_rate = 0.0;      // 0 = the target's default: 1e-4 for the network, 1e-3 for a head
    int frozen_leading_blocks = 0;   // network fine-tuning: ConvnetFineTuneParams::frozen_leading_blocks
    double confidence_threshold = 0.99;  // tau of L_reg's pseudo-labels
    // Each positive answer lends its cluster to this many nearest unanswered images as fixed
    // L_reg labels, in a network fine-tune and a head's alike (propagate_answers; at most half the unanswered images are
    // claimed); 0 = the reference recipe. Projects that predate the setting keep 0.
    int answer_neighbours = 50;
    std::uint64_t seed = 0;          // selection (random strategy) and fine-tuning draws
};

struct SessionCandidate {
    int cluster = 0;
    double similarity = 0.0;
    std::vector<std::int64_t> exemplars;  // up to 4 items of the cluster nearest its centre
};

struct SessionQuery {
    std::int64_t round_id = 0;
    std::int64_t sample = 0;
    std::vector<SessionCandidate> candidates;  // most similar first
    double hardness = 0.0;
    double representativeness = 0.0;
    double diversity = 0.0;
    std::int64_t position = 0;  // within the round
    std::int64_t round_size = 0;
    std::int64_t answered_in_round = 0;
    // What else says why it was asked (value_mining.h): the strategy of the round, the size of
    // the diversity set S when it was picked (earlier answers that seeded it, then the round's
    // earlier questions), the round's typical neighbour distance (squared; 0 when the strategy
    // does not use representativeness), and the size of its dense neighbourhood: -1 here,
    // filled in by InteractiveSession::similar_images for a person to read (it costs O(N D)).
    SelectionStrategy strategy = SelectionStrategy::hard_representative_diverse;
    std::int64_t earlier_questions = 0;
    double neighbour_distance_squared = 0.0;
    std::int64_t similar_images = -1;
};

struct ClusteringSummary {
    std::int64_t id = 0;
    std::string name;
    std::string method;
    int cluster_count = 0;
    std::optional<ClusteringScores> scores;  // when the dataset has ground truth
    std::int64_t answers_used = 0;   // answers it was learned from (0 for k-means or a convnet head)
    std::int64_t answers_given = 0;  // active answers given to questions asked about it
};

// A query round computed off the owner thread; adopt_round stores it.
struct RoundPlan {
    std::int64_t clustering_id = 0;
    std::vector<RoundSample> samples;
    std::vector<double> hardness, representativeness, diversity;  // per sample of the plan
    std::int64_t diversity_seeds = 0;  // samples answered in earlier rounds that seeded the diversity set S
    double neighbour_distance_squared = 0.0;  // typical_neighbour_distance_squared of the features (0: not computed)
    double elapsed_ms = 0.0;
};

// The tuned model of a TrainingOutcome (a head, or a network with its re-encoded features),
// owned by the outcome; opaque outside core. A network that is never adopted is deleted with it.
struct TrainedModel;

// A fine-tuned clustering computed off the owner thread from a copy of the model; the session's
// model and clustering are untouched until adopt_training stores it.
struct TrainingOutcome {
    std::int64_t from_clustering_id = 0;
    FineTuneTarget target = FineTuneTarget::head;  // what was trained: network or head
    std::vector<int> assignment;
    std::int64_t positives = 0;
    std::int64_t negatives = 0;
    std::int64_t answers_used = 0;
    std::int64_t answers_mapped = 0;     // given under another clustering, mapped to this one's clusters
    std::int64_t answers_left_out = 0;   // given under another clustering without a clear counterpart here
    std::int64_t pseudo_labelled = 0;    // unanswered images L_reg had a pseudo-label for at the end
    std::int64_t lent_labels = 0;        // of them, labels lent by answers to their nearest neighbours
    int lent_neighbours = 0;             // neighbours per positive answer (the setting, capped on small collections)
    double final_loss = 0.0;
    double elapsed_ms = 0.0;
    std::shared_ptr<TrainedModel> model;
};

// What adopting a fine-tuned clustering changed, for a before/after summary.
struct ClusteringChange {
    std::int64_t previous_clustering_id = 0;  // one switch_clustering away
    std::int64_t clustering_id = 0;
    std::string clustering_name;
    std::int64_t images = 0;
    std::int64_t images_changed = 0;          // images whose cluster differs from the previous clustering
    std::optional<ClusteringScores> before;   // with ground truth
    std::optional<ClusteringScores> after;
    bool got_worse = false;                   // ground truth: ACC or NMI fell by more than 0.005
    bool round_was_open = false;              // the round open at adoption closed (its questions named old clusters)
    std::int64_t round_questions = 0;
    std::int64_t round_answered = 0;
};

// A clustering made current off the owner thread (its features, centres and head ready);
// adopt_switch makes it the session's. Opaque outside core.
struct PreparedClustering;

// Features learned from the project's images (learn_features), ready to become the current
// clustering: the convnet's cluster head's clustering, prepared. Opaque parts.
struct LearnedFeatures {
    std::shared_ptr<const PreparedClustering> clustering;
    std::string model_folder;  // relative to the project folder
    std::string encoder_id;
    int epochs_completed = 0;
    int resumed_from_epoch = 0;  // 0 = trained from scratch in this call
    double elapsed_ms = 0.0;
};

// What the IDC loop should do next for this session (the one loop of the app and the simulated user).
enum class SessionStep { plan_round, answer_query, train };

class InteractiveSession {
public:
    // Creates `folder` as a new project for the settings' dataset, encodes it (features cached in
    // the project) and makes the initial clustering current: a convnet encoder's own cluster head
    // (the pre-trained clustering model IDC fine-tunes), cosine k-means for other encoders.
    static Expected<std::unique_ptr<InteractiveSession>> create(const std::filesystem::path& folder,
                                                                const SessionSettings& settings, const JobContext& job);
    // Reopens a project where the user stopped: its dataset, features, current clustering and
    // open round with its position. Fails with not_found when the project has no dataset yet.
    static Expected<std::unique_ptr<InteractiveSession>> open(const std::filesystem::path& folder, const JobContext& job);

    ~InteractiveSession();
    InteractiveSession(const InteractiveSession&) = delete;
    InteractiveSession& operator=(const InteractiveSession&) = delete;

    const SessionSettings& settings() const;
    std::shared_ptr<const Dataset> dataset() const;
    Project& project();
    // The active clustering; the reference is valid only until the next switch, adoption or correction
    // (each publishes a new record), so copy it to keep it across one.
    const ClusteringRecord& clustering() const;
    // Cluster names for display: the stored name, or "Cluster N" when unnamed.
    std::vector<std::string> cluster_names() const;
    std::vector<ClusteringSummary> history() const;
    std::int64_t active_answer_count() const;

    // --- the IDC loop: plan_round/adopt_round, answer until the round is finished, train/adopt_training
    SessionStep next_step() const;

    // --- query rounds. Samples answered before (any round) are never asked again and seed the
    // diversity set S, so each round builds on the earlier ones.
    Expected<RoundPlan> plan_round(int queries, const JobContext& job) const;
    Status adopt_round(const RoundPlan& plan);
    // The query to show now, or nullopt when no round is open or the open round is finished.
    std::optional<SessionQuery> current_query() const;
    bool round_finished() const;
    // The size of `query`'s dense neighbourhood: images of the current features within the
    // round's typical neighbour distance of it (count_neighbours_within), or nullopt when the
    // round has no such distance. O(N D) on the calling thread; the last answer is kept.
    std::optional<std::int64_t> similar_images(const SessionQuery& query) const;
    // The images of `cluster` in the current clustering, nearest its centre first (the order of
    // a question's exemplars), at most `count` of them (0 = all). Owner thread; O(members D).
    std::vector<std::int64_t> typical_members(int cluster, std::size_t count = 0) const;
    // Records the answer to the current query (committed before returning) and advances.
    // `cluster` is the chosen candidate's cluster for positive answers.
    Expected<AnswerRecord> answer(AnswerKind kind, int cluster, std::int64_t response_ms = 0);
    // Undoes the newest answer (also one from an earlier query: the round steps back to it).
    Expected<AnswerRecord> undo();
    // Moves images to a cluster by hand: stored as manual answers, applied to the clustering now.
    Status move_images(const std::vector<std::int64_t>& items, int cluster);
    Status rename_cluster(int cluster, const std::string& name);

    // --- several clusterings of one collection (k-means, IDC rounds, Multi-Sub aspects)
    // Makes a stored clustering current: its features (the encoder or tuned model it was made
    // with), centres and head are prepared off the owner thread (prepare_switch, heavy: a job),
    // then adopt_switch closes the open round (its candidates belong to the old clustering) and
    // makes it current. switch_clustering does both on the calling thread.
    Expected<std::shared_ptr<const PreparedClustering>> prepare_switch(std::int64_t clustering_id,
                                                                       const JobContext& job) const;
    Status adopt_switch(const PreparedClustering& prepared);
    Status switch_clustering(std::int64_t clustering_id, const JobContext& job);
    // Stores a clustering made elsewhere (a Multi-Sub run, say) under its name; returns its id.
    Expected<std::int64_t> add_clustering(ClusteringRecord record);
    // Renames a stored clustering (the current one too); fails as Project::rename_clustering.
    Status rename_clustering(std::int64_t clustering_id, const std::string& name);
    std::vector<ClusteringSummary> clusterings() const { return history(); }
    // The current clustering's L2-normalised features, one row per image (for maps and other
    // views). A job keeps the snapshot it started with: adopting another clustering replaces the
    // session's pointer, never the matrix a job reads.
    std::shared_ptr<const FloatMatrix> features() const;

    // --- fine-tuning with every active answer (answers given under other clusterings are mapped
    // to this one's clusters or left out). Pure: trains a copy of the model (the network or the
    // head, settings.fine_tune_target) and returns it; cancelled or failed, nothing changed.
    Expected<TrainingOutcome> train(const JobContext& job) const;
    // Stores the outcome's model and clustering and makes it current (the previous clustering
    // stays stored, one switch_clustering away); the open round closes. Owner thread.
    Expected<ClusteringChange> adopt_training(const TrainingOutcome& outcome);
    // What train() would use: network when the current features come from a trainable convnet
    // and the settings allow it, else head.
    FineTuneTarget fine_tune_target() const;

    // --- learning features from the project's own images (feature_learning.h). The convnet is
    // trained from scratch into the project (models/learned-N/, a checkpoint after every epoch)
    // while the current clustering stays in use; when it is done, its cluster head's clustering
    // becomes current. While learn_features runs, the owner calls none of the other methods of
    // this group (they change the record it reads).
    // Records the plan as status training, replacing a paused or failed training (its model is
    // removed) or a finished one (whose model stays with the clustering it made). Owner thread.
    Status begin_feature_learning(const FeatureLearningPlan& plan);
    // The project's record, with epochs_completed read from its checkpoint; nullopt when there is
    // none or it was written by a newer Corral (left as it is).
    std::optional<FeatureLearningState> feature_learning() const;
    // Trains (continuing from the checkpoint), encodes every image with the trained model and
    // prepares its cluster head's clustering. Stores the checkpoint, the features and the
    // record's progress in the project, but changes nothing the session shows. Any thread;
    // cancellable at any point: the checkpoint keeps every finished epoch.
    Expected<LearnedFeatures> learn_features(const JobContext& job) const;
    // Stores the learned clustering and makes it current (the open round closes; the previous
    // clustering stays one switch_clustering away); the record becomes finished. Owner thread.
    Expected<ClusteringChange> adopt_learned_features(const LearnedFeatures& learned);
    // After learn_features failed: the record becomes paused when it was cancelled (continuing
    // is offered), failed with the error's message otherwise. Owner thread.
    Status stop_feature_learning(const Error& why);
    // Removes a training that has not finished, and its checkpoint. Owner thread.
    Status discard_feature_learning();

    // --- the 2-D map: t-SNE of the session's features, stored in the project as kTsneMapName.
    // Callable from a worker thread; `on_layout` receives intermediate layouts (see tsne.h) when
    // params.layout_every > 0. Returns the final N x 2 layout, stored before returning.
    Expected<FloatMatrix> compute_map(const TsneParams& params, const JobContext& job,
                                      const TsneLayoutCallback& on_layout = {}) const;
    // The map stored by compute_map, or nullopt when none is stored or it no longer fits the dataset.
    std::optional<FloatMatrix> stored_map() const;
    // map_tsne_params for this session's features.
    TsneParams default_map_params() const;

    // --- corrections by hand as single steps, for an undo history (session_corrections.cpp).
    // Owner thread. Each is one transaction; the clustering is saved once.
    // Moves `items` to `cluster` as manual answers; images already there are left out. Returns
    // the ids of the answers recorded (empty when nothing moved).
    Expected<std::vector<std::int64_t>> move_images_together(const std::vector<std::int64_t>& items, int cluster);
    // Every image of cluster `from` moved to `into` (move_images_together); `from` stays, empty.
    Expected<std::vector<std::int64_t>> merge_clusters(int from, int into);
    // Undoes exactly these answers, which must be the newest active ones (invalid_argument
    // otherwise, nothing changed): manual moves on the current clustering move back, and the
    // open round steps back to the earliest question undone.
    Expected<std::vector<AnswerRecord>> undo_answers(const std::vector<std::int64_t>& answer_ids);
    // Grows the current clustering by one empty cluster named `name` ("" = "Cluster N") and
    // returns its number; the head is refitted to the new count when answers are next learned
    // from. invalid_argument when the answers fine-tune a convnet, whose cluster count is fixed.
    Expected<int> add_cluster(const std::string& name);
    // Takes the last cluster off the current clustering (the undo of add_cluster): it must be
    // empty, chosen by no active answer and a candidate of no question of the open round.
    Status remove_last_cluster();

    class State;

private:
    explicit InteractiveSession(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

}  // namespace corral
