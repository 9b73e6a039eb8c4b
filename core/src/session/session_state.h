#pragma once
// Private to core: what an InteractiveSession holds in memory between calls.
#include <map>
#include <mutex>

#include "corral/core/feedback_training.h"
#include "corral/core/interactive_session.h"
#include "corral/core/matrix.h"
#include "corral/core/project.h"
#include "corral/core/value_mining.h"

namespace corral {

struct SessionRoundTerms {
    std::vector<double> hardness, representativeness, diversity;  // per sample of the round
};

class InteractiveSession::State {
public:
    SessionSettings settings;
    std::unique_ptr<Project> project;
    std::shared_ptr<Dataset> dataset;
    FloatMatrix features;  // L2-normalised encoder features, one row per image
    std::string encoder_id;
    ClusteringRecord clustering;
    FloatMatrix centres;                               // mean normalised feature of each cluster
    std::vector<std::vector<std::int64_t>> exemplars;  // per cluster, nearest the centre first
    std::optional<QueryRound> round;
    SessionRoundTerms round_terms;
    std::map<std::int64_t, ClusteringScores> scores_by_clustering;
    std::map<std::int64_t, std::int64_t> answers_by_clustering;

    // The miner caches representativeness (a kNN pass) across rounds; the trainer holds the head.
    mutable std::mutex miner_mutex;
    mutable ValueMiner miner;
    FeedbackTrainer trainer;

    // Recomputes centres and exemplars for `clustering` and refits the head to it.
    Status adopt_clustering(ClusteringRecord record, const JobContext& job, bool fit_head);
    // Brings back the fine-tuned head stored with the run that produced `clustering_id` (so a
    // reopened project learns on from the same model); false when there is none or it is unusable.
    bool restore_head(std::int64_t clustering_id, int clusters);
};

}  // namespace corral
