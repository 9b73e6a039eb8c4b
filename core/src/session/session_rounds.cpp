// Query rounds, answers and corrections of an InteractiveSession.
#include <nlohmann/json.hpp>

#include <set>

#include "corral/core/interactive_session.h"
#include "corral/core/queries.h"
#include "guard.h"
#include "session/session_state.h"

namespace corral {
namespace {

// Samples that have an active non-skip answer: they are not asked again, and they seed the
// diversity set of the next round.
std::vector<std::int64_t> answered_samples(const Project& project) {
    std::set<std::int64_t> samples;
    if (auto answers = project.answers()) {
        for (const auto& answer : *answers) {
            if (answer.kind != AnswerKind::skip) samples.insert(answer.sample);
        }
    }
    return {samples.begin(), samples.end()};
}

}  // namespace

SessionStep InteractiveSession::next_step() const {
    if (!state_->round) return SessionStep::plan_round;
    return round_finished() ? SessionStep::train : SessionStep::answer_query;
}

Expected<RoundPlan> InteractiveSession::plan_round(int queries, const JobContext& job) const {
    return detail::guarded("choosing questions", [&]() -> Expected<RoundPlan> {
        if (queries < 1) return make_error(ErrorCode::invalid_argument, "a round needs at least one query");
        const auto active = state_->snapshot();
        const auto answered = answered_samples(*state_->project);
        Selection selection;
        int neighbors = 0;
        {
            std::lock_guard lock(state_->miner_mutex);
            // K as the miner caps it on a tiny collection.
            neighbors = static_cast<int>(std::min<std::int64_t>(state_->miner.params().neighbors, active->features->rows()));
            auto selected = state_->miner.select(*active->features, active->centres, queries, answered, answered,
                                                 job.stage(0.0, 0.9));
            if (!selected) return selected.error();
            selection = std::move(*selected);
        }
        QueryBuilderParams query_params;
        query_params.candidates = std::min(state_->settings.candidates, active->record.cluster_count);
        auto built = QueryBuilder(query_params).build(*active->features, active->centres, active->record.assignment, selection);
        if (!built) return built.error();
        RoundPlan plan;
        plan.clustering_id = active->record.id;
        plan.diversity_seeds = static_cast<std::int64_t>(answered.size());
        plan.neighbour_distance_squared = typical_neighbour_distance_squared(selection.representativeness, neighbors);
        plan.elapsed_ms = selection.scoring_ms + selection.greedy_ms;
        for (const Query& query : *built) {
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
    });
}

Status InteractiveSession::adopt_round(const RoundPlan& plan) {
    if (plan.clustering_id != state_->active().record.id) {
        return make_error(ErrorCode::invalid_argument, "the round was planned for an earlier clustering");
    }
    if (plan.samples.empty()) return make_error(ErrorCode::invalid_argument, "every image has been answered already");
    const nlohmann::json terms = {{"hardness", plan.hardness},
                                  {"representativeness", plan.representativeness},
                                  {"diversity", plan.diversity},
                                  {"diversity_seeds", plan.diversity_seeds},
                                  {"neighbour_distance_squared", plan.neighbour_distance_squared},
                                  {"candidates", state_->settings.candidates}};
    auto id = state_->project->start_round(plan.clustering_id, plan.samples, terms.dump());
    if (!id) return id.error();
    auto round = state_->project->round(*id);
    if (!round) return round.error();
    state_->round = std::move(*round);
    state_->round_terms = {plan.hardness, plan.representativeness, plan.diversity, plan.diversity_seeds,
                           plan.neighbour_distance_squared};
    return ok();
}

bool InteractiveSession::round_finished() const {
    return !state_->round || state_->round->position >= static_cast<std::int64_t>(state_->round->samples.size());
}

std::optional<SessionQuery> InteractiveSession::current_query() const {
    if (round_finished()) return std::nullopt;
    const QueryRound& round = *state_->round;
    const auto& exemplars = state_->active().exemplars;
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
    query.strategy = state_->settings.strategy;
    // The diversity set S of the pick: diversity_along seeds it with earlier answers only for
    // the strategy that uses diversity (value_mining.cpp).
    const bool seeded = query.strategy == SelectionStrategy::hard_representative_diverse;
    query.earlier_questions = (seeded ? state_->round_terms.diversity_seeds : 0) + round.position;
    query.neighbour_distance_squared = state_->round_terms.neighbour_distance_squared;
    for (std::size_t c = 0; c < sample.candidates.size(); ++c) {
        const int cluster = sample.candidates[c];
        SessionCandidate candidate;
        candidate.cluster = cluster;
        candidate.similarity = c < sample.candidate_scores.size() ? sample.candidate_scores[c] : 0.0;
        if (cluster >= 0 && static_cast<std::size_t>(cluster) < exemplars.size()) {
            candidate.exemplars = exemplars[static_cast<std::size_t>(cluster)];
        }
        query.candidates.push_back(std::move(candidate));
    }
    return query;
}

Expected<AnswerRecord> InteractiveSession::answer(AnswerKind kind, int cluster, std::int64_t response_ms) {
    const auto query = current_query();
    if (!query) return make_error(ErrorCode::invalid_argument, "there is no open query to answer");
    if (kind == AnswerKind::manual_move) return make_error(ErrorCode::invalid_argument, "use move_images for manual moves");
    const auto& record = state_->active().record;
    if (kind == AnswerKind::positive && (cluster < 0 || cluster >= record.cluster_count)) {
        return make_error(ErrorCode::invalid_argument, "cluster " + std::to_string(cluster) + " does not exist");
    }
    AnswerInput input;
    input.round_id = query->round_id;
    input.clustering_id = record.id;
    input.sample = query->sample;
    for (const auto& candidate : query->candidates) input.shown_candidates.push_back(candidate.cluster);
    input.kind = kind;
    input.chosen_cluster = kind == AnswerKind::positive ? cluster : -1;
    input.response_ms = response_ms;
    auto id = state_->project->record_answer(input);
    if (!id) return id.error();
    ++state_->round->position;
    ++state_->answers_by_clustering[record.id];
    AnswerRecord answered;
    answered.id = *id;
    answered.round_id = input.round_id;
    answered.clustering_id = input.clustering_id;
    answered.sample = input.sample;
    answered.shown_candidates = input.shown_candidates;
    answered.kind = kind;
    answered.chosen_cluster = input.chosen_cluster;
    return answered;
}

Expected<AnswerRecord> InteractiveSession::undo() {
    auto undone = state_->project->undo_last_answer();
    if (!undone) return undone.error();
    if (undone->clustering_id) --state_->answers_by_clustering[*undone->clustering_id];
    if (undone->kind == AnswerKind::manual_move && !undone->shown_candidates.empty() &&
        undone->clustering_id == state_->active().record.id) {
        // A manual move keeps the cluster it came from as its one "shown candidate".
        auto record = state_->active().record;
        record.assignment[static_cast<std::size_t>(undone->sample)] = undone->shown_candidates.front();
        if (auto saved = state_->project->save_clustering(record); !saved) return saved.error();
        state_->publish_record(std::move(record));
    }
    if (undone->round_id && state_->round && *undone->round_id == state_->round->id) {
        auto round = state_->project->round(state_->round->id);
        if (!round) return round.error();
        state_->round->position = round->position;
    }
    return undone;
}

Status InteractiveSession::move_images(const std::vector<std::int64_t>& items, int cluster) {
    auto record = state_->active().record;
    if (cluster < 0 || cluster >= record.cluster_count) {
        return make_error(ErrorCode::invalid_argument, "cluster " + std::to_string(cluster) + " does not exist");
    }
    auto& assignment = record.assignment;
    for (auto item : items) {
        if (item < 0 || item >= static_cast<std::int64_t>(assignment.size())) {
            return make_error(ErrorCode::invalid_argument, "image " + std::to_string(item) + " does not exist");
        }
    }
    for (auto item : items) {
        AnswerInput input;
        input.clustering_id = record.id;
        input.sample = item;
        input.shown_candidates = {assignment[static_cast<std::size_t>(item)]};
        input.kind = AnswerKind::manual_move;
        input.chosen_cluster = cluster;
        auto id = state_->project->record_answer(input);
        if (!id) return id.error();
        assignment[static_cast<std::size_t>(item)] = cluster;
        ++state_->answers_by_clustering[record.id];
    }
    if (auto saved = state_->project->save_clustering(record); !saved) return saved.error();
    state_->publish_record(std::move(record));
    return ok();
}

Status InteractiveSession::rename_cluster(int cluster, const std::string& name) {
    auto record = state_->active().record;
    if (auto renamed = state_->project->rename_cluster(record.id, cluster, name); !renamed) return renamed;
    if (record.cluster_names.size() < static_cast<std::size_t>(record.cluster_count)) {
        record.cluster_names.resize(static_cast<std::size_t>(record.cluster_count));
    }
    record.cluster_names[static_cast<std::size_t>(cluster)] = name;
    state_->publish_record(std::move(record));
    return ok();
}

}  // namespace corral
