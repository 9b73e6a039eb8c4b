// Clusterings, query rounds and answers: the user's work. Every change is one transaction
// that is durable before the call returns.
#include <cstring>

#include "store/project_impl.h"

namespace corral {
namespace {

using store::Database;
using store::Statement;
using store::Transaction;

std::vector<std::uint8_t> pack_assignment(const std::vector<int>& assignment) {
    std::vector<std::uint8_t> bytes(assignment.size() * sizeof(std::int32_t));
    for (std::size_t i = 0; i < assignment.size(); ++i) {
        const auto value = static_cast<std::int32_t>(assignment[i]);
        std::memcpy(bytes.data() + i * sizeof value, &value, sizeof value);
    }
    return bytes;
}

Expected<std::vector<int>> unpack_assignment(const std::vector<std::uint8_t>& bytes) {
    if (bytes.size() % sizeof(std::int32_t) != 0) {
        return make_error(ErrorCode::corrupt_data, "stored cluster assignment has a partial entry");
    }
    std::vector<int> assignment(bytes.size() / sizeof(std::int32_t));
    for (std::size_t i = 0; i < assignment.size(); ++i) {
        std::int32_t value = 0;
        std::memcpy(&value, bytes.data() + i * sizeof value, sizeof value);
        assignment[i] = value;
    }
    return assignment;
}

Expected<AnswerKind> parse_kind(const std::string& text) {
    for (auto kind : {AnswerKind::positive, AnswerKind::negative, AnswerKind::skip, AnswerKind::manual_move}) {
        if (to_string(kind) == text) return kind;
    }
    return make_error(ErrorCode::corrupt_data, "unknown answer kind '" + text + "'");
}

// Fills the cluster names (cluster_count entries, "" for unnamed) of `record`.
Status load_cluster_names(Database& database, ClusteringRecord& record) {
    record.cluster_names.assign(static_cast<std::size_t>(std::max(record.cluster_count, 0)), "");
    auto query = database.prepare("SELECT cluster, name FROM cluster_names WHERE clustering_id = ?");
    if (!query) return query.error();
    query->bind(1, record.id);
    for (;;) {
        auto row = query->step();
        if (!row) return row.error();
        if (!*row) return ok();
        const auto cluster = query->integer(0);
        if (cluster >= 0 && cluster < record.cluster_count) record.cluster_names[cluster] = query->text(1);
    }
}

constexpr const char* kClusteringColumns =
    "SELECT clustering_id, name, method, parameters, encoder_id, cluster_count, created_at, assignment "
    "FROM clusterings ";

Expected<ClusteringRecord> read_clustering(Database& database, Statement& query, bool with_assignment) {
    ClusteringRecord record;
    record.id = query.integer(0);
    record.name = query.text(1);
    record.method = query.text(2);
    record.parameters_json = query.text(3);
    record.encoder_id = query.text(4);
    record.cluster_count = static_cast<int>(query.integer(5));
    record.created_at = query.text(6);
    if (with_assignment) {
        auto assignment = unpack_assignment(query.blob(7));
        if (!assignment) return assignment.error();
        record.assignment = std::move(*assignment);
    }
    if (auto names = load_cluster_names(database, record); !names) return names.error();
    return record;
}

Expected<ClusteringRecord> find_clustering(Database& database, const std::string& where, const auto& key) {
    auto query = database.prepare(std::string(kClusteringColumns) + where);
    if (!query) return query.error();
    query->bind(1, key);
    auto row = query->step();
    if (!row) return row.error();
    if (!*row) return make_error(ErrorCode::not_found, "no clustering " + where.substr(where.find(' ') + 1));
    return read_clustering(database, *query, true);
}

Status check_clustering(const ClusteringRecord& record, std::int64_t image_count) {
    if (record.name.empty()) return make_error(ErrorCode::invalid_argument, "a clustering needs a name");
    if (record.cluster_count <= 0) return make_error(ErrorCode::invalid_argument, "a clustering needs clusters");
    if (!record.cluster_names.empty() && record.cluster_names.size() != static_cast<std::size_t>(record.cluster_count)) {
        return make_error(ErrorCode::invalid_argument, "cluster names must be one per cluster");
    }
    if (image_count > 0 && static_cast<std::int64_t>(record.assignment.size()) != image_count) {
        return make_error(ErrorCode::invalid_argument,
                          "clustering '" + record.name + "' assigns " + std::to_string(record.assignment.size()) +
                              " images, the project has " + std::to_string(image_count));
    }
    for (int cluster : record.assignment) {
        if (cluster < -1 || cluster >= record.cluster_count) {
            return make_error(ErrorCode::invalid_argument, "cluster " + std::to_string(cluster) + " out of range");
        }
    }
    return store::check_json_object(record.parameters_json, "clustering parameters");
}

Status upsert_cluster_name(Database& database, std::int64_t clustering_id, int cluster, const std::string& name) {
    auto statement = database.prepare(
        "INSERT INTO cluster_names(clustering_id, cluster, name) VALUES (?, ?, ?) "
        "ON CONFLICT(clustering_id, cluster) DO UPDATE SET name = excluded.name");
    if (!statement) return statement.error();
    return statement->bind(1, clustering_id).bind(2, cluster).bind(3, name).run();
}

// The ordinal of `sample` in round `round_id`, if it is part of it.
Expected<std::optional<std::int64_t>> ordinal_in_round(Database& database, std::int64_t round_id, std::int64_t sample) {
    auto query = database.prepare("SELECT min(ordinal) FROM round_samples WHERE round_id = ? AND sample = ?");
    if (!query) return query.error();
    query->bind(1, round_id).bind(2, sample);
    auto row = query->step();
    if (!row) return row.error();
    if (!*row || query->is_null(0)) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(query->integer(0));
}

Status set_position(Database& database, std::int64_t round_id, std::int64_t position) {
    auto update = database.prepare("UPDATE query_rounds SET position = ? WHERE round_id = ?");
    if (!update) return update.error();
    return update->bind(1, position).bind(2, round_id).run();
}

constexpr const char* kAnswerColumns =
    "SELECT answer_id, round_id, clustering_id, sample, shown_candidates, kind, chosen_cluster, answered_at_ms, "
    "response_ms, undone_at_ms FROM answers ";

Expected<AnswerRecord> read_answer(const Statement& query) {
    AnswerRecord record;
    record.id = query.integer(0);
    if (!query.is_null(1)) record.round_id = query.integer(1);
    if (!query.is_null(2)) record.clustering_id = query.integer(2);
    record.sample = query.integer(3);
    auto shown = store::from_json_text<int>(query.text(4), "answer candidates");
    if (!shown) return shown.error();
    record.shown_candidates = std::move(*shown);
    auto kind = parse_kind(query.text(5));
    if (!kind) return kind.error();
    record.kind = *kind;
    record.chosen_cluster = static_cast<int>(query.integer(6));
    record.answered_at_ms = query.integer(7);
    record.response_ms = query.integer(8);
    record.undone = !query.is_null(9);
    return record;
}

}  // namespace

Expected<std::int64_t> Project::save_clustering(const ClusteringRecord& record) {
    std::lock_guard lock(impl_->mutex);
    auto& database = impl_->database;
    auto image_count = database.query_integer("SELECT count(*) FROM images");
    if (!image_count) return image_count.error();
    if (auto valid = check_clustering(record, *image_count); !valid) return valid.error();
    auto transaction = Transaction::begin(database);
    if (!transaction) return transaction.error();
    const auto assignment = pack_assignment(record.assignment);
    auto upsert = database.prepare(std::string(
        "INSERT INTO clusterings(name, method, parameters, encoder_id, cluster_count, assignment, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ") + store::kNowIso + ") ON CONFLICT(name) DO UPDATE SET method = excluded.method, "
        "parameters = excluded.parameters, encoder_id = excluded.encoder_id, cluster_count = excluded.cluster_count, "
        "assignment = excluded.assignment, created_at = excluded.created_at RETURNING clustering_id");
    if (!upsert) return upsert.error();
    upsert->bind(1, record.name).bind(2, record.method).bind(3, record.parameters_json).bind(4, record.encoder_id);
    upsert->bind(5, record.cluster_count).bind_blob(6, assignment.data(), assignment.size());
    auto row = upsert->step();
    if (!row) return row.error();
    const std::int64_t id = upsert->integer(0);
    if (auto done = upsert->run(); !done) return done.error();
    auto drop = database.prepare("DELETE FROM cluster_names WHERE clustering_id = ? AND cluster >= ?");
    if (!drop) return drop.error();
    if (auto dropped = drop->bind(1, id).bind(2, record.cluster_count).run(); !dropped) return dropped.error();
    for (std::size_t cluster = 0; cluster < record.cluster_names.size(); ++cluster) {
        if (record.cluster_names[cluster].empty()) continue;
        if (auto named = upsert_cluster_name(database, id, static_cast<int>(cluster), record.cluster_names[cluster]);
            !named) {
            return named.error();
        }
    }
    if (auto committed = transaction->commit(); !committed) return committed.error();
    return id;
}

Expected<ClusteringRecord> Project::clustering(std::int64_t id) const {
    std::lock_guard lock(impl_->mutex);
    return find_clustering(impl_->database, "WHERE clustering_id = ?", id);
}

Expected<ClusteringRecord> Project::clustering_by_name(const std::string& name) const {
    std::lock_guard lock(impl_->mutex);
    return find_clustering(impl_->database, "WHERE name = ?", name);
}

Expected<std::vector<ClusteringRecord>> Project::clusterings() const {
    std::lock_guard lock(impl_->mutex);
    auto query = impl_->database.prepare(std::string(kClusteringColumns) + "ORDER BY clustering_id");
    if (!query) return query.error();
    std::vector<ClusteringRecord> records;
    for (;;) {
        auto row = query->step();
        if (!row) return row.error();
        if (!*row) return records;
        auto record = read_clustering(impl_->database, *query, false);
        if (!record) return record.error();
        records.push_back(std::move(*record));
    }
}

Status Project::set_current_clustering(std::int64_t id) {
    if (auto exists = clustering(id); !exists) return exists.error();
    return set_setting("current_clustering_id", std::to_string(id));
}

Expected<std::optional<std::int64_t>> Project::current_clustering_id() const {
    auto value = setting("current_clustering_id");
    if (!value) return value.error();
    if (!*value) return std::optional<std::int64_t>();
    try {
        return std::optional<std::int64_t>(std::stoll(**value));
    } catch (const std::exception&) {
        return make_error(ErrorCode::corrupt_data, "setting current_clustering_id is not a number: " + **value);
    }
}

Status Project::rename_cluster(std::int64_t clustering_id, int cluster, const std::string& name) {
    std::lock_guard lock(impl_->mutex);
    auto count = impl_->database.prepare("SELECT cluster_count FROM clusterings WHERE clustering_id = ?");
    if (!count) return count.error();
    count->bind(1, clustering_id);
    auto row = count->step();
    if (!row) return row.error();
    if (!*row) return make_error(ErrorCode::not_found, "no clustering with id " + std::to_string(clustering_id));
    if (cluster < 0 || cluster >= count->integer(0)) {
        return make_error(ErrorCode::invalid_argument, "cluster " + std::to_string(cluster) + " out of range");
    }
    return upsert_cluster_name(impl_->database, clustering_id, cluster, name);
}

Status Project::rename_clustering(std::int64_t clustering_id, const std::string& name) {
    if (name.empty()) return make_error(ErrorCode::invalid_argument, "a clustering needs a name");
    std::lock_guard lock(impl_->mutex);
    auto& database = impl_->database;
    auto taken = database.prepare("SELECT clustering_id FROM clusterings WHERE name = ?");
    if (!taken) return taken.error();
    taken->bind(1, name);
    auto taken_row = taken->step();
    if (!taken_row) return taken_row.error();
    if (*taken_row) {
        if (taken->integer(0) == clustering_id) return ok();
        return make_error(ErrorCode::invalid_argument, "a clustering named '" + name + "' already exists");
    }
    auto update = database.prepare("UPDATE clusterings SET name = ? WHERE clustering_id = ? RETURNING clustering_id");
    if (!update) return update.error();
    update->bind(1, name).bind(2, clustering_id);
    auto row = update->step();
    if (!row) return row.error();
    if (!*row) return make_error(ErrorCode::not_found, "no clustering with id " + std::to_string(clustering_id));
    return update->run();
}

Expected<std::int64_t> Project::start_round(std::int64_t clustering_id, const std::vector<RoundSample>& samples,
                                            const std::string& parameters_json) {
    if (auto valid = store::check_json_object(parameters_json, "round parameters"); !valid) return valid.error();
    for (const auto& sample : samples) {
        if (!sample.candidate_scores.empty() && sample.candidate_scores.size() != sample.candidates.size()) {
            return make_error(ErrorCode::invalid_argument, "candidate scores must be one per candidate");
        }
    }
    std::lock_guard lock(impl_->mutex);
    auto& database = impl_->database;
    auto transaction = Transaction::begin(database);
    if (!transaction) return transaction.error();
    if (auto closed = database.execute(std::string("UPDATE query_rounds SET status = 'closed', closed_at = ") +
                                       store::kNowIso + " WHERE status = 'open'");
        !closed) {
        return closed.error();
    }
    auto insert = database.prepare(std::string("INSERT INTO query_rounds(clustering_id, status, position, parameters, "
                                               "created_at) VALUES (?, 'open', 0, ?, ") + store::kNowIso + ")");
    if (!insert) return insert.error();
    if (auto inserted = insert->bind(1, clustering_id).bind(2, parameters_json).run(); !inserted) {
        if (inserted.error().code == ErrorCode::invalid_argument) {
            return make_error(ErrorCode::not_found, "no clustering with id " + std::to_string(clustering_id));
        }
        return inserted.error();
    }
    const std::int64_t round_id = database.last_insert_id();
    auto add = database.prepare(
        "INSERT INTO round_samples(round_id, ordinal, sample, value_score, candidates, candidate_scores) "
        "VALUES (?, ?, ?, ?, ?, ?)");
    if (!add) return add.error();
    for (std::size_t ordinal = 0; ordinal < samples.size(); ++ordinal) {
        const auto& sample = samples[ordinal];
        add->reset().bind(1, round_id).bind(2, static_cast<std::int64_t>(ordinal)).bind(3, sample.sample);
        add->bind(4, sample.value_score).bind(5, store::to_json_text(sample.candidates));
        add->bind(6, store::to_json_text(sample.candidate_scores));
        if (auto added = add->run(); !added) return added.error();
    }
    if (auto committed = transaction->commit(); !committed) return committed.error();
    return round_id;
}

Expected<QueryRound> Project::round(std::int64_t id) const {
    std::lock_guard lock(impl_->mutex);
    auto& database = impl_->database;
    auto query = database.prepare(
        "SELECT round_id, clustering_id, status, position, parameters, created_at FROM query_rounds WHERE round_id = ?");
    if (!query) return query.error();
    query->bind(1, id);
    auto row = query->step();
    if (!row) return row.error();
    if (!*row) return make_error(ErrorCode::not_found, "no query round with id " + std::to_string(id));
    QueryRound round;
    round.id = query->integer(0);
    round.clustering_id = query->integer(1);
    round.status = query->text(2) == "open" ? RoundStatus::open : RoundStatus::closed;
    round.position = query->integer(3);
    round.parameters_json = query->text(4);
    round.created_at = query->text(5);
    auto samples = database.prepare(
        "SELECT sample, value_score, candidates, candidate_scores FROM round_samples WHERE round_id = ? ORDER BY ordinal");
    if (!samples) return samples.error();
    samples->bind(1, id);
    for (;;) {
        auto next = samples->step();
        if (!next) return next.error();
        if (!*next) break;
        auto candidates = store::from_json_text<int>(samples->text(2), "round candidates");
        if (!candidates) return candidates.error();
        auto scores = store::from_json_text<double>(samples->text(3), "round candidate scores");
        if (!scores) return scores.error();
        round.samples.push_back({samples->integer(0), samples->real(1), std::move(*candidates), std::move(*scores)});
    }
    return round;
}

Expected<std::optional<QueryRound>> Project::open_round() const {
    std::int64_t id = 0;
    {
        std::lock_guard lock(impl_->mutex);
        auto query = impl_->database.prepare("SELECT round_id FROM query_rounds WHERE status = 'open'");
        if (!query) return query.error();
        auto row = query->step();
        if (!row) return row.error();
        if (!*row) return std::optional<QueryRound>();
        id = query->integer(0);
    }
    auto found = round(id);
    if (!found) return found.error();
    return std::optional<QueryRound>(std::move(*found));
}

Expected<std::vector<QueryRound>> Project::rounds() const {
    std::vector<std::int64_t> ids;
    {
        std::lock_guard lock(impl_->mutex);
        auto query = impl_->database.prepare("SELECT round_id FROM query_rounds ORDER BY round_id");
        if (!query) return query.error();
        for (;;) {
            auto row = query->step();
            if (!row) return row.error();
            if (!*row) break;
            ids.push_back(query->integer(0));
        }
    }
    std::vector<QueryRound> found;
    for (const auto id : ids) {
        auto one = round(id);
        if (!one) return one.error();
        found.push_back(std::move(*one));
    }
    return found;
}

Status Project::set_round_position(std::int64_t round_id, std::int64_t position) {
    std::lock_guard lock(impl_->mutex);
    auto count = impl_->database.prepare("SELECT count(*) FROM round_samples WHERE round_id = ?");
    if (!count) return count.error();
    count->bind(1, round_id);
    auto row = count->step();
    if (!row) return row.error();
    if (position < 0 || position > count->integer(0)) {
        return make_error(ErrorCode::invalid_argument, "position " + std::to_string(position) + " outside the round");
    }
    return set_position(impl_->database, round_id, position);
}

Status Project::close_round(std::int64_t round_id) {
    std::lock_guard lock(impl_->mutex);
    auto update = impl_->database.prepare(std::string("UPDATE query_rounds SET status = 'closed', closed_at = ") +
                                          store::kNowIso + " WHERE round_id = ? AND status = 'open'");
    if (!update) return update.error();
    return update->bind(1, round_id).run();
}

Expected<std::int64_t> Project::record_answer(const AnswerInput& answer) {
    const bool needs_cluster = answer.kind == AnswerKind::positive || answer.kind == AnswerKind::manual_move;
    if (needs_cluster && answer.chosen_cluster < 0) {
        return make_error(ErrorCode::invalid_argument, std::string(to_string(answer.kind)) + " answer needs a cluster");
    }
    std::lock_guard lock(impl_->mutex);
    auto& database = impl_->database;
    auto transaction = Transaction::begin(database);
    if (!transaction) return transaction.error();
    std::optional<std::int64_t> clustering_id = answer.clustering_id;
    std::optional<std::int64_t> ordinal;
    if (answer.round_id) {
        auto query = database.prepare("SELECT clustering_id, status FROM query_rounds WHERE round_id = ?");
        if (!query) return query.error();
        query->bind(1, *answer.round_id);
        auto row = query->step();
        if (!row) return row.error();
        if (!*row) return make_error(ErrorCode::not_found, "no query round with id " + std::to_string(*answer.round_id));
        if (query->text(1) != "open") {
            return make_error(ErrorCode::invalid_argument, "query round " + std::to_string(*answer.round_id) + " is closed");
        }
        if (!clustering_id) clustering_id = query->integer(0);
        auto found = ordinal_in_round(database, *answer.round_id, answer.sample);
        if (!found) return found.error();
        ordinal = *found;
    }
    auto insert = database.prepare(
        "INSERT INTO answers(round_id, clustering_id, sample, shown_candidates, kind, chosen_cluster, answered_at_ms, "
        "response_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!insert) return insert.error();
    insert->bind(1, answer.round_id).bind(2, clustering_id).bind(3, answer.sample);
    insert->bind(4, store::to_json_text(answer.shown_candidates)).bind(5, to_string(answer.kind));
    insert->bind(6, needs_cluster ? answer.chosen_cluster : -1).bind(7, store::now_ms()).bind(8, answer.response_ms);
    if (auto inserted = insert->run(); !inserted) return inserted.error();
    const std::int64_t id = database.last_insert_id();
    if (ordinal) {
        if (auto moved = set_position(database, *answer.round_id, *ordinal + 1); !moved) return moved.error();
    }
    if (auto committed = transaction->commit(); !committed) return committed.error();
    return id;
}

Expected<AnswerRecord> Project::undo_last_answer() {
    std::lock_guard lock(impl_->mutex);
    auto& database = impl_->database;
    auto transaction = Transaction::begin(database);
    if (!transaction) return transaction.error();
    auto query = database.prepare(std::string(kAnswerColumns) +
                                  "WHERE undone_at_ms IS NULL ORDER BY answer_id DESC LIMIT 1");
    if (!query) return query.error();
    auto row = query->step();
    if (!row) return row.error();
    if (!*row) return make_error(ErrorCode::not_found, "there is no answer to undo");
    auto record = read_answer(*query);
    if (!record) return record.error();
    auto mark = database.prepare("UPDATE answers SET undone_at_ms = ? WHERE answer_id = ?");
    if (!mark) return mark.error();
    if (auto marked = mark->bind(1, store::now_ms()).bind(2, record->id).run(); !marked) return marked.error();
    if (record->round_id) {
        auto ordinal = ordinal_in_round(database, *record->round_id, record->sample);
        if (!ordinal) return ordinal.error();
        if (*ordinal) {
            if (auto moved = set_position(database, *record->round_id, **ordinal); !moved) return moved.error();
        }
    }
    if (auto committed = transaction->commit(); !committed) return committed.error();
    record->undone = true;
    return record;
}

Expected<std::vector<AnswerRecord>> Project::answers(bool include_undone) const {
    std::lock_guard lock(impl_->mutex);
    auto query = impl_->database.prepare(std::string(kAnswerColumns) +
                                         (include_undone ? "" : "WHERE undone_at_ms IS NULL ") + "ORDER BY answer_id");
    if (!query) return query.error();
    std::vector<AnswerRecord> records;
    for (;;) {
        auto row = query->step();
        if (!row) return row.error();
        if (!*row) return records;
        auto record = read_answer(*query);
        if (!record) return record.error();
        records.push_back(std::move(*record));
    }
}

}  // namespace corral
