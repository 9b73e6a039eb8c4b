#pragma once
// The one IDC loop (DESIGN §4) over an InteractiveSession, for every front end: plan a round by
// value mining, ask its queries, fine-tune, adopt the new clustering, repeat. Who answers is an
// AnswerSource: the simulated user here (benchmarks, `corral-cli simulate`), a person in the app
// (whose controller follows InteractiveSession::next_step() step by step, asynchronously). Every
// answer goes through InteractiveSession::answer, committed to the project like a person's.
#include <cstdint>
#include <optional>
#include <vector>

#include "corral/core/expected.h"
#include "corral/core/interactive_session.h"
#include "corral/core/job.h"
#include "corral/core/metrics.h"
#include "corral/core/simulated_user.h"

namespace corral {

struct AnswerChoice {
    AnswerKind kind = AnswerKind::skip;  // positive, negative or skip
    int cluster = -1;                    // positive: the chosen candidate's cluster
};

class AnswerSource {
public:
    virtual ~AnswerSource() = default;
    virtual AnswerChoice answer(const SessionQuery& query) = 0;
};

// The simulated user of the benchmarks: ground-truth classes mapped once to the clusters of the
// session's current clustering (Hungarian method); a query is answered with the class's cluster
// when it is among the candidates, else "none of these". invalid_argument without ground truth.
class SimulatedAnswerSource : public AnswerSource {
public:
    static Expected<SimulatedAnswerSource> create(const InteractiveSession& session);
    AnswerChoice answer(const SessionQuery& query) override;

private:
    explicit SimulatedAnswerSource(SimulatedUser user) : user_(std::move(user)) {}
    SimulatedUser user_;
};

struct IdcRunParams {
    int queries = 500;  // answers in all, split evenly over the rounds (the first rounds take the remainder)
    int rounds = 1;
};

struct IdcRoundReport {
    int round = 0;  // 1-based
    std::int64_t answers = 0, positives = 0, negatives = 0, skips = 0;
    std::int64_t diversity_seeds = 0;    // earlier answers that seeded S
    FineTuneTarget target = FineTuneTarget::head;
    ClusteringChange change;             // before/after, images changed, the new clustering
    double selection_ms = 0.0;           // scoring (kNN included) and the greedy
    double answering_ms = 0.0;           // asking the source and committing its answers
    double training_ms = 0.0;            // fine-tuning (for the network: re-encoding too)
    double adoption_ms = 0.0;
    double final_loss = 0.0;
    std::int64_t pseudo_labelled = 0;    // L_reg's table at the end of the fine-tune
    std::int64_t lent_labels = 0;        // of them, lent by answers to their nearest neighbours
};

struct AnswerTally {
    std::int64_t answers = 0, positives = 0, negatives = 0, skips = 0;
};

// Answers every remaining query of the open round from `source`, each committed as it is given.
Expected<AnswerTally> answer_open_round(InteractiveSession& session, AnswerSource& source, const JobContext& job = {});

// Runs the rounds from where the session stands (an open round is answered first and counts as
// the first round). Returns one report per round; cancellation leaves every answer given so far
// committed and the session on its last adopted clustering.
Expected<std::vector<IdcRoundReport>> run_idc_rounds(InteractiveSession& session, AnswerSource& source,
                                                     const IdcRunParams& params, const JobContext& job = {});

}  // namespace corral
