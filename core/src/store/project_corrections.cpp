// Corrections as single steps: many manual moves in one transaction, and the undo of the newest
// answers in one transaction. An undo history (the app's) undoes a multi-image move as one step,
// and a move of a thousand images costs one fsync rather than a thousand.
#include <algorithm>
#include <map>
#include <set>

#include "store/project_impl.h"

namespace corral {
namespace {

using store::Transaction;

Expected<AnswerKind> kind_from_text(const std::string& text) {
    for (auto kind : {AnswerKind::positive, AnswerKind::negative, AnswerKind::skip, AnswerKind::manual_move}) {
        if (to_string(kind) == text) return kind;
    }
    return make_error(ErrorCode::corrupt_data, "unknown answer kind '" + text + "'");
}

}  // namespace

Expected<std::vector<std::int64_t>> Project::record_manual_moves(const std::vector<AnswerInput>& moves) {
    for (const auto& move : moves) {
        if (move.kind != AnswerKind::manual_move || move.round_id || move.chosen_cluster < 0) {
            return make_error(ErrorCode::invalid_argument, "record_manual_moves takes manual moves to a cluster, outside rounds");
        }
    }
    std::lock_guard lock(impl_->mutex);
    auto& database = impl_->database;
    auto transaction = Transaction::begin(database);
    if (!transaction) return transaction.error();
    auto insert = database.prepare(
        "INSERT INTO answers(round_id, clustering_id, sample, shown_candidates, kind, chosen_cluster, answered_at_ms, "
        "response_ms) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?)");
    if (!insert) return insert.error();
    const std::int64_t now = store::now_ms();
    std::vector<std::int64_t> ids;
    ids.reserve(moves.size());
    for (const auto& move : moves) {
        insert->reset().bind(1, move.clustering_id).bind(2, move.sample).bind(3, store::to_json_text(move.shown_candidates));
        insert->bind(4, to_string(move.kind)).bind(5, move.chosen_cluster).bind(6, now).bind(7, move.response_ms);
        if (auto inserted = insert->run(); !inserted) return inserted.error();
        ids.push_back(database.last_insert_id());
    }
    if (auto committed = transaction->commit(); !committed) return committed.error();
    return ids;
}

Expected<std::vector<AnswerRecord>> Project::undo_newest_answers(const std::vector<std::int64_t>& ids) {
    if (ids.empty()) return std::vector<AnswerRecord>{};
    const std::set<std::int64_t> wanted(ids.begin(), ids.end());
    if (wanted.size() != ids.size()) return make_error(ErrorCode::invalid_argument, "an answer is listed twice");
    std::lock_guard lock(impl_->mutex);
    auto& database = impl_->database;
    auto transaction = Transaction::begin(database);
    if (!transaction) return transaction.error();
    auto query = database.prepare(
        "SELECT answer_id, round_id, clustering_id, sample, shown_candidates, kind, chosen_cluster, answered_at_ms, "
        "response_ms FROM answers WHERE undone_at_ms IS NULL ORDER BY answer_id DESC LIMIT ?");
    if (!query) return query.error();
    query->bind(1, static_cast<std::int64_t>(ids.size()));
    std::vector<AnswerRecord> newest;
    for (;;) {
        auto row = query->step();
        if (!row) return row.error();
        if (!*row) break;
        AnswerRecord record;
        record.id = query->integer(0);
        if (!query->is_null(1)) record.round_id = query->integer(1);
        if (!query->is_null(2)) record.clustering_id = query->integer(2);
        record.sample = query->integer(3);
        auto shown = store::from_json_text<int>(query->text(4), "answer candidates");
        if (!shown) return shown.error();
        record.shown_candidates = std::move(*shown);
        auto kind = kind_from_text(query->text(5));
        if (!kind) return kind.error();
        record.kind = *kind;
        record.chosen_cluster = static_cast<int>(query->integer(6));
        record.answered_at_ms = query->integer(7);
        record.response_ms = query->integer(8);
        newest.push_back(std::move(record));
    }
    const bool all_newest = newest.size() == ids.size() &&
                            std::all_of(newest.begin(), newest.end(), [&](const AnswerRecord& r) { return wanted.count(r.id) > 0; });
    if (!all_newest) {
        return make_error(ErrorCode::invalid_argument, "other answers were given or undone since; these are no longer the newest");
    }
    auto mark = database.prepare("UPDATE answers SET undone_at_ms = ? WHERE answer_id = ?");
    if (!mark) return mark.error();
    const std::int64_t now = store::now_ms();
    // Per round, the earliest ordinal among its undone samples: where the round resumes.
    std::map<std::int64_t, std::int64_t> resume_at;
    auto ordinal = database.prepare("SELECT min(ordinal) FROM round_samples WHERE round_id = ? AND sample = ?");
    if (!ordinal) return ordinal.error();
    for (auto& record : newest) {
        if (auto marked = mark->reset().bind(1, now).bind(2, record.id).run(); !marked) return marked.error();
        record.undone = true;
        if (!record.round_id) continue;
        ordinal->reset().bind(1, *record.round_id).bind(2, record.sample);
        auto row = ordinal->step();
        if (!row) return row.error();
        if (!*row || ordinal->is_null(0)) continue;
        const std::int64_t at = ordinal->integer(0);
        auto [it, inserted] = resume_at.emplace(*record.round_id, at);
        if (!inserted) it->second = std::min(it->second, at);
    }
    auto position = database.prepare("UPDATE query_rounds SET position = ? WHERE round_id = ?");
    if (!position) return position.error();
    for (const auto& [round_id, at] : resume_at) {
        if (auto moved = position->reset().bind(1, at).bind(2, round_id).run(); !moved) return moved.error();
    }
    if (auto committed = transaction->commit(); !committed) return committed.error();
    return newest;
}

}  // namespace corral
