// Query rounds, answers and fine-tuning of an InteractiveSession.
#include <nlohmann/json.hpp>

#include <set>

#include "corral/core/interactive_session.h"
#include "corral/core/queries.h"
#include "session/session_state.h"

namespace corral {
namespace {

// Samples that have an active non-skip answer: they are not asked again.
std::vector<std::int64_t> answered_samples(const Project& project) {
    std::set<std::int64_t> samples;
    if (auto answers = project.answers()) {
        for (const auto& answer : *answers) {
            if (answer.kind != AnswerKind::skip) samples.insert(answer.sample);
        }
    }
    return {samples.begin(), samples.end()};
}

// The answers in the form the trainer takes. A manual move is a positive answer; a negative
// rejects every candidate that was shown.
std::vector<Answer> training_answers(const std::vector<AnswerRecord>& records) {
    std::vector<Answer> answers;
    for (const auto& record : records) {
        switch (record.kind) {
            case AnswerKind::positive:
            case AnswerKind::manual_move:
                if (record.chosen_cluster >= 0) answers.push_back(Answer::positive(record.sample, record.chosen_cluster));
                break;
            case AnswerKind::negative: {
                Answer negative{record.sample, AnswerKind::negative, -1, record.shown_candidates};
                answers.push_back(std::move(negative));
                break;
            }
            case AnswerKind::skip: break;
        }
    }
    return answers;
}

}  // namespace

Expected<RoundPlan> InteractiveSession::plan_round(int queries, const JobContext& job) const {
    if (queries < 1) return make_error(ErrorCode::invalid_argument, "a round needs at least one query");
    const auto excluded = answered_samples(*state_->project);
    Selection selection;
    {
        std::lock_guard lock(state_->miner_mutex);
        auto selected = state_->miner.select(state_->features, state_->centres, queries, excluded, job.stage(0.0, 0.9));
        if (!selected) return selected.error();
        selection = std::move(*selected);
    }
    QueryBuilderParams query_params;
    query_params.candidates = std::min(state_->settings.candidates, state_->clustering.cluster_count);
    auto built = QueryBuilder(query_params).build(state_->features, state_->centres, state_->clustering.assignment, selection);
    if (!built) return built.error();
    RoundPlan plan;
    plan.clustering_id = state_->clustering.id;
    plan.elapsed_ms = selection.scoring_ms + selection.greedy_ms;
    for (std::size_t i = 0; i < built->size(); ++i) {
        const Query& query = (*built)[i];
        RoundSample sample;
        sample.sample = query.sample;
        sample.value_score = query.value.value;
        for (const auto& candidate : query.candidates) {
            sample.candidates.push_back(candidate.cluster);
            sample.candidate_scores.push_back(candidate.similarity);
        }
        plan.samples.push_back(std::move(sample));
        plan.hardness.push_back(query.value.hardness);
        plan.representativeness.push_back(query.value.representativeness);
        plan.diversity.push_back(query.value.diversity);
    }
    job.report(1.0, "round ready");
    return plan;
}

Status InteractiveSession::adopt_round(const RoundPlan& plan) {
    if (plan.clustering_id != state_->clustering.id) {
        return make_error(ErrorCode::invalid_argument, "the round was planned for an earlier clustering");
    }
    const nlohmann::json terms = {{"hardness", plan.hardness},
                                  {"representativeness", plan.representativeness},
                                  {"diversity", plan.diversity},
                                  {"candidates", state_->settings.candidates}};
    auto id = state_->project->start_round(plan.clustering_id, plan.samples, terms.dump());
    if (!id) return id.error();
    auto round = state_->project->round(*id);
    if (!round) return round.error();
    state_->round = std::move(*round);
    state_->round_terms = {plan.hardness, plan.representativeness, plan.diversity};
    return ok();
}

bool InteractiveSession::round_finished() const {
    return !state_->round || state_->round->position >= static_cast<std::int64_t>(state_->round->samples.size());
}

std::optional<SessionQuery> InteractiveSession::current_query() const {
    if (round_finished()) return std::nullopt;
    const QueryRound& round = *state_->round;
    const auto position = static_cast<std::size_t>(round.position);
    const RoundSample& sample = round.samples[position];
    SessionQuery query;
    query.round_id = round.id;
    query.sample = sample.sample;
    query.position = round.position;
    query.round_size = static_cast<std::int64_t>(round.samples.size());
    query.answered_in_round = round.position;
    const auto term = [position](const std::vector<double>& values) { return position < values.size() ? values[position] : 0.0; };
    query.hardness = term(state_->round_terms.hardness);
    query.representativeness = term(state_->round_terms.representativeness);
    query.diversity = term(state_->round_terms.diversity);
    for (std::size_t c = 0; c < sample.candidates.size(); ++c) {
        const int cluster = sample.candidates[c];
        SessionCandidate candidate;
        candidate.cluster = cluster;
        candidate.similarity = c < sample.candidate_scores.size() ? sample.candidate_scores[c] : 0.0;
        if (cluster >= 0 && static_cast<std::size_t>(cluster) < state_->exemplars.size()) {
            candidate.exemplars = state_->exemplars[static_cast<std::size_t>(cluster)];
        }
        query.candidates.push_back(std::move(candidate));
    }
    return query;
}

Expected<AnswerRecord> InteractiveSession::answer(AnswerKind kind, int cluster, std::int64_t response_ms) {
    const auto query = current_query();
    if (!query) return make_error(ErrorCode::invalid_argument, "there is no open query to answer");
    if (kind == AnswerKind::manual_move) return make_error(ErrorCode::invalid_argument, "use move_images for manual moves");
    if (kind == AnswerKind::positive && (cluster < 0 || cluster >= state_->clustering.cluster_count)) {
        return make_error(ErrorCode::invalid_argument, "cluster " + std::to_string(cluster) + " does not exist");
    }
    AnswerInput input;
    input.round_id = query->round_id;
    input.clustering_id = state_->clustering.id;
    input.sample = query->sample;
    for (const auto& candidate : query->candidates) input.shown_candidates.push_back(candidate.cluster);
    input.kind = kind;
    input.chosen_cluster = kind == AnswerKind::positive ? cluster : -1;
    input.response_ms = response_ms;
    auto id = state_->project->record_answer(input);
    if (!id) return id.error();
    ++state_->round->position;
    ++state_->answers_by_clustering[state_->clustering.id];
    AnswerRecord record;
    record.id = *id;
    record.round_id = input.round_id;
    record.clustering_id = input.clustering_id;
    record.sample = input.sample;
    record.shown_candidates = input.shown_candidates;
    record.kind = kind;
    record.chosen_cluster = input.chosen_cluster;
    return record;
}

Expected<AnswerRecord> InteractiveSession::undo() {
    auto undone = state_->project->undo_last_answer();
    if (!undone) return undone.error();
    if (undone->clustering_id) --state_->answers_by_clustering[*undone->clustering_id];
    if (undone->kind == AnswerKind::manual_move && !undone->shown_candidates.empty() &&
        undone->clustering_id == state_->clustering.id) {
        // A manual move keeps the cluster it came from as its one "shown candidate".
        state_->clustering.assignment[static_cast<std::size_t>(undone->sample)] = undone->shown_candidates.front();
        if (auto saved = state_->project->save_clustering(state_->clustering); !saved) return saved.error();
    }
    if (undone->round_id && state_->round && *undone->round_id == state_->round->id) {
        auto round = state_->project->round(state_->round->id);
        if (!round) return round.error();
        state_->round->position = round->position;
    }
    return undone;
}

Status InteractiveSession::move_images(const std::vector<std::int64_t>& items, int cluster) {
    if (cluster < 0 || cluster >= state_->clustering.cluster_count) {
        return make_error(ErrorCode::invalid_argument, "cluster " + std::to_string(cluster) + " does not exist");
    }
    auto& assignment = state_->clustering.assignment;
    for (auto item : items) {
        if (item < 0 || item >= static_cast<std::int64_t>(assignment.size())) {
            return make_error(ErrorCode::invalid_argument, "image " + std::to_string(item) + " does not exist");
        }
        AnswerInput input;
        input.clustering_id = state_->clustering.id;
        input.sample = item;
        input.shown_candidates = {assignment[static_cast<std::size_t>(item)]};
        input.kind = AnswerKind::manual_move;
        input.chosen_cluster = cluster;
        auto id = state_->project->record_answer(input);
        if (!id) return id.error();
        assignment[static_cast<std::size_t>(item)] = cluster;
        ++state_->answers_by_clustering[state_->clustering.id];
    }
    if (auto saved = state_->project->save_clustering(state_->clustering); !saved) return saved.error();
    if (state_->dataset->has_ground_truth()) {
        state_->scores_by_clustering[state_->clustering.id] = score_clustering(state_->dataset->labels(), assignment);
    }
    return ok();
}

Status InteractiveSession::rename_cluster(int cluster, const std::string& name) {
    if (auto renamed = state_->project->rename_cluster(state_->clustering.id, cluster, name); !renamed) return renamed;
    auto& names = state_->clustering.cluster_names;
    if (names.size() < static_cast<std::size_t>(state_->clustering.cluster_count)) {
        names.resize(static_cast<std::size_t>(state_->clustering.cluster_count));
    }
    names[static_cast<std::size_t>(cluster)] = name;
    return ok();
}

Expected<TrainingOutcome> InteractiveSession::train(const JobContext& job) {
    auto records = state_->project->answers();
    if (!records) return records.error();
    const auto answers = training_answers(*records);
    if (answers.empty()) return make_error(ErrorCode::invalid_argument, "there are no answers to learn from yet");
    auto result = state_->trainer.fine_tune(state_->features, answers, job);
    if (!result) return result.error();
    TrainingOutcome outcome;
    outcome.from_clustering_id = state_->clustering.id;
    outcome.assignment = std::move(result->prediction.assignment);
    outcome.positives = result->positives;
    outcome.negatives = result->negatives;
    outcome.answers_used = static_cast<std::int64_t>(answers.size());
    outcome.final_loss = result->epochs.empty() ? 0.0 : result->epochs.back().total;
    outcome.elapsed_ms = result->elapsed_ms;
    return outcome;
}

Status InteractiveSession::adopt_training(const TrainingOutcome& outcome) {
    if (outcome.from_clustering_id != state_->clustering.id) {
        return make_error(ErrorCode::invalid_argument, "the training started from an earlier clustering");
    }
    const nlohmann::json parameters = {{"from_clustering", outcome.from_clustering_id},
                                       {"answers", outcome.answers_used},
                                       {"positives", outcome.positives},
                                       {"negatives", outcome.negatives},
                                       {"epochs", state_->settings.fine_tune_epochs}};
    auto run = state_->project->begin_run(outcome.from_clustering_id, parameters.dump());
    if (!run) return run.error();
    // The fine-tuned head goes with the run: a reopened project learns on from it, not from a refit.
    auto head = state_->trainer.save_head();
    if (!head) return head.error();
    if (auto stored = state_->project->store_checkpoint(*run, state_->settings.fine_tune_epochs,
                                                        "idc-head-run" + std::to_string(*run) + ".pt", *head);
        !stored) {
        return stored.error();
    }
    ClusteringRecord record;
    std::int64_t fine_tuned = 1;
    std::set<std::string> names;
    if (auto all = state_->project->clusterings()) {
        for (const auto& existing : *all) {
            fine_tuned += existing.method == "idc";
            names.insert(existing.name);
        }
    }
    // Saving under a name in use replaces that clustering: a user's own "round 2" must survive.
    record.name = "round " + std::to_string(fine_tuned);
    for (int copy = 2; names.count(record.name); ++copy) {
        record.name = "round " + std::to_string(fine_tuned) + " (" + std::to_string(copy) + ")";
    }
    record.method = "idc";
    record.parameters_json = parameters.dump();
    record.encoder_id = state_->encoder_id;
    record.cluster_count = state_->clustering.cluster_count;
    record.assignment = outcome.assignment;
    record.cluster_names = state_->clustering.cluster_names;  // the head keeps cluster identities
    auto id = state_->project->save_clustering(record);
    if (!id) return id.error();
    record.id = *id;
    if (auto current = state_->project->set_current_clustering(*id); !current) return current;
    if (state_->round) {
        if (auto closed = state_->project->close_round(state_->round->id); !closed) return closed;
        state_->round.reset();
    }
    // The head was fine-tuned in place and already predicts this clustering: no refit.
    if (auto adopted = state_->adopt_clustering(std::move(record), {}, false); !adopted) return adopted;
    nlohmann::json metrics = {{"final_loss", outcome.final_loss}, {"elapsed_ms", outcome.elapsed_ms}};
    if (auto found = state_->scores_by_clustering.find(*id); found != state_->scores_by_clustering.end()) {
        metrics["nmi"] = found->second.nmi;
        metrics["acc"] = found->second.acc;
        metrics["ari"] = found->second.ari;
    }
    return state_->project->finish_run(*run, RunStatus::finished, metrics.dump(), *id);
}

Status InteractiveSession::switch_clustering(std::int64_t clustering_id, const JobContext& job) {
    if (clustering_id == state_->clustering.id) return ok();
    auto record = state_->project->clustering(clustering_id);
    if (!record) return record.error();
    if (state_->round) {
        if (auto closed = state_->project->close_round(state_->round->id); !closed) return closed;
        state_->round.reset();
    }
    if (auto adopted = state_->adopt_clustering(std::move(*record), job, true); !adopted) return adopted;
    return state_->project->set_current_clustering(clustering_id);
}

Expected<std::int64_t> InteractiveSession::add_clustering(ClusteringRecord record) {
    if (static_cast<std::int64_t>(record.assignment.size()) != state_->features.rows()) {
        return make_error(ErrorCode::invalid_argument, "the clustering has " + std::to_string(record.assignment.size()) +
                                                           " entries for " + std::to_string(state_->features.rows()) +
                                                           " images");
    }
    if (record.encoder_id.empty()) record.encoder_id = state_->encoder_id;
    return state_->project->save_clustering(record);
}

Status InteractiveSession::rename_clustering(std::int64_t clustering_id, const std::string& name) {
    if (auto renamed = state_->project->rename_clustering(clustering_id, name); !renamed) return renamed;
    if (clustering_id == state_->clustering.id) state_->clustering.name = name;
    return ok();
}

const FloatMatrix& InteractiveSession::features() const { return state_->features; }

}  // namespace corral
