// Corrections by hand as single steps: a multi-image move, a merge, a new cluster, and the undo
// of any of them (or of answers), each one transaction, so that an undo history can take them
// back one step at a time.
#include <algorithm>

#include "corral/core/interactive_session.h"
#include "session/session_state.h"

namespace corral {

Expected<std::vector<std::int64_t>> InteractiveSession::move_images_together(const std::vector<std::int64_t>& items,
                                                                              int cluster) {
    auto record = state_->active().record;
    if (cluster < 0 || cluster >= record.cluster_count) {
        return make_error(ErrorCode::invalid_argument, "cluster " + std::to_string(cluster) + " does not exist");
    }
    auto& assignment = record.assignment;
    std::vector<AnswerInput> moves;
    std::vector<bool> seen(assignment.size(), false);
    for (const auto item : items) {
        if (item < 0 || item >= static_cast<std::int64_t>(assignment.size())) {
            return make_error(ErrorCode::invalid_argument, "image " + std::to_string(item) + " does not exist");
        }
        const auto index = static_cast<std::size_t>(item);
        if (seen[index] || assignment[index] == cluster) continue;  // nothing to say about it
        seen[index] = true;
        AnswerInput move;
        move.clustering_id = record.id;
        move.sample = item;
        move.shown_candidates = {assignment[index]};  // where it came from: what an undo restores
        move.kind = AnswerKind::manual_move;
        move.chosen_cluster = cluster;
        moves.push_back(std::move(move));
    }
    if (moves.empty()) return std::vector<std::int64_t>{};
    auto ids = state_->project->record_manual_moves(moves);
    if (!ids) return ids.error();
    for (const auto& move : moves) assignment[static_cast<std::size_t>(move.sample)] = cluster;
    state_->answers_by_clustering[record.id] += static_cast<std::int64_t>(moves.size());
    // The answers are what counts (training and exports read them); the saved assignment shows
    // them at once and on reopening.
    if (auto saved = state_->project->save_clustering(record); !saved) return saved.error();
    state_->publish_record(std::move(record));
    return ids;
}

Expected<std::vector<std::int64_t>> InteractiveSession::merge_clusters(int from, int into) {
    const auto& record = state_->active().record;
    if (from < 0 || from >= record.cluster_count) {
        return make_error(ErrorCode::invalid_argument, "cluster " + std::to_string(from) + " does not exist");
    }
    if (from == into) return make_error(ErrorCode::invalid_argument, "a cluster cannot be merged into itself");
    std::vector<std::int64_t> members;
    for (std::size_t i = 0; i < record.assignment.size(); ++i) {
        if (record.assignment[i] == from) members.push_back(static_cast<std::int64_t>(i));
    }
    return move_images_together(members, into);
}

Expected<std::vector<AnswerRecord>> InteractiveSession::undo_answers(const std::vector<std::int64_t>& answer_ids) {
    auto undone = state_->project->undo_newest_answers(answer_ids);
    if (!undone) return undone.error();
    auto record = state_->active().record;
    bool moved_back = false;
    bool in_open_round = false;
    for (const auto& answer : *undone) {  // newest first: an image moved twice ends where it started
        if (answer.clustering_id) --state_->answers_by_clustering[*answer.clustering_id];
        if (answer.round_id && state_->round && *answer.round_id == state_->round->id) in_open_round = true;
        if (answer.kind != AnswerKind::manual_move || answer.shown_candidates.empty() ||
            answer.clustering_id != record.id) {
            continue;
        }
        const int from = answer.shown_candidates.front();
        const auto index = static_cast<std::size_t>(answer.sample);
        if (index < record.assignment.size() && from >= -1 && from < record.cluster_count) {
            record.assignment[index] = from;
            moved_back = true;
        }
    }
    if (moved_back) {
        if (auto saved = state_->project->save_clustering(record); !saved) return saved.error();
        state_->publish_record(std::move(record));
    }
    if (in_open_round) {
        auto round = state_->project->round(state_->round->id);
        if (!round) return round.error();
        state_->round->position = round->position;
    }
    return undone;
}

Expected<int> InteractiveSession::add_cluster(const std::string& name) {
    const auto current = state_->snapshot();
    if (session_detail::resolve_target(state_->settings, *current) == FineTuneTarget::network) {
        return make_error(ErrorCode::invalid_argument,
                          "this project's answers fine-tune its convnet, whose number of clusters is fixed: move the "
                          "images to an existing cluster instead");
    }
    auto next = std::make_shared<ActiveClustering>(*current);
    auto& record = next->record;
    const int added = record.cluster_count;
    record.cluster_count = added + 1;
    record.cluster_names.resize(static_cast<std::size_t>(record.cluster_count));
    record.cluster_names.back() = name;
    if (auto saved = state_->project->save_clustering(record); !saved) return saved.error();
    session_detail::centres_and_exemplars(*next->features, record.assignment, record.cluster_count, next->centres,
                                          next->exemplars);
    // The fitted head has one output per old cluster; train() fits one to the new count.
    next->head.reset();
    state_->publish(std::move(next));
    return added;
}

Status InteractiveSession::remove_last_cluster() {
    const auto current = state_->snapshot();
    const int last = current->record.cluster_count - 1;
    if (last < 2) return make_error(ErrorCode::invalid_argument, "a clustering keeps at least two clusters");
    const auto& assignment = current->record.assignment;
    if (std::find(assignment.begin(), assignment.end(), last) != assignment.end()) {
        return make_error(ErrorCode::invalid_argument, "the last cluster still holds images");
    }
    if (state_->round) {
        for (const auto& sample : state_->round->samples) {
            if (std::find(sample.candidates.begin(), sample.candidates.end(), last) != sample.candidates.end()) {
                return make_error(ErrorCode::invalid_argument, "the open round asks about the last cluster");
            }
        }
    }
    auto answers = state_->project->answers();
    if (!answers) return answers.error();
    for (const auto& answer : *answers) {
        if (answer.clustering_id == current->record.id && answer.chosen_cluster == last) {
            return make_error(ErrorCode::invalid_argument, "an answer still names the last cluster");
        }
    }
    auto next = std::make_shared<ActiveClustering>(*current);
    auto& record = next->record;
    record.cluster_count = last;
    record.cluster_names.resize(static_cast<std::size_t>(last));
    if (auto saved = state_->project->save_clustering(record); !saved) return saved.error();
    session_detail::centres_and_exemplars(*next->features, record.assignment, record.cluster_count, next->centres,
                                          next->exemplars);
    next->head.reset();
    state_->publish(std::move(next));
    return ok();
}

}  // namespace corral
