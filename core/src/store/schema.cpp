#include "store/schema.h"

#include <string>
#include <vector>

#include "corral/core/project.h"

namespace corral::store {
namespace {

struct Migration {
    int version;
    const char* description;
    const char* sql;
};

// Append only: a released migration is never edited, a change is a new step.
const std::vector<Migration>& migrations() {
    static const std::vector<Migration> steps = {
        {1, "initial schema", R"sql(
CREATE TABLE schema_migrations(
  version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL);
CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE dataset(
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1), spec TEXT NOT NULL, description TEXT NOT NULL,
  image_limit INTEGER NOT NULL, image_count INTEGER NOT NULL, class_names TEXT NOT NULL, registered_at TEXT NOT NULL);
CREATE TABLE images(
  image_index INTEGER PRIMARY KEY, name TEXT NOT NULL, file TEXT NOT NULL, packed INTEGER NOT NULL,
  size_bytes INTEGER NOT NULL, content_hash TEXT NOT NULL, label INTEGER NOT NULL);
CREATE TABLE encoders(
  encoder_id TEXT PRIMARY KEY, file TEXT NOT NULL, rows INTEGER NOT NULL, cols INTEGER NOT NULL,
  size_bytes INTEGER NOT NULL, checksum INTEGER NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE clusterings(
  clustering_id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, method TEXT NOT NULL, parameters TEXT NOT NULL,
  encoder_id TEXT NOT NULL, cluster_count INTEGER NOT NULL, assignment BLOB NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE cluster_names(
  clustering_id INTEGER NOT NULL REFERENCES clusterings(clustering_id) ON DELETE CASCADE,
  cluster INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY (clustering_id, cluster));
CREATE TABLE query_rounds(
  round_id INTEGER PRIMARY KEY, clustering_id INTEGER NOT NULL REFERENCES clusterings(clustering_id),
  status TEXT NOT NULL CHECK (status IN ('open', 'closed')), position INTEGER NOT NULL DEFAULT 0,
  parameters TEXT NOT NULL, created_at TEXT NOT NULL, closed_at TEXT);
CREATE UNIQUE INDEX one_open_round ON query_rounds(status) WHERE status = 'open';
CREATE TABLE round_samples(
  round_id INTEGER NOT NULL REFERENCES query_rounds(round_id) ON DELETE CASCADE, ordinal INTEGER NOT NULL,
  sample INTEGER NOT NULL, value_score REAL NOT NULL, candidates TEXT NOT NULL, candidate_scores TEXT NOT NULL,
  PRIMARY KEY (round_id, ordinal));
CREATE TABLE answers(
  answer_id INTEGER PRIMARY KEY, round_id INTEGER REFERENCES query_rounds(round_id),
  clustering_id INTEGER REFERENCES clusterings(clustering_id), sample INTEGER NOT NULL,
  shown_candidates TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('positive', 'negative', 'skip', 'manual_move')),
  chosen_cluster INTEGER NOT NULL, answered_at_ms INTEGER NOT NULL, response_ms INTEGER NOT NULL,
  undone_at_ms INTEGER);
CREATE INDEX answers_by_sample ON answers(sample);
CREATE TABLE finetune_runs(
  run_id INTEGER PRIMARY KEY, clustering_id INTEGER REFERENCES clusterings(clustering_id),
  result_clustering_id INTEGER REFERENCES clusterings(clustering_id), parameters TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'cancelled')),
  metrics TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT);
CREATE TABLE stored_files(
  file TEXT PRIMARY KEY, kind TEXT NOT NULL, size_bytes INTEGER NOT NULL, checksum INTEGER NOT NULL,
  created_at TEXT NOT NULL);
CREATE TABLE checkpoints(
  checkpoint_id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES finetune_runs(run_id),
  epoch INTEGER NOT NULL, file TEXT NOT NULL REFERENCES stored_files(file), created_at TEXT NOT NULL);
)sql"},
    };
    return steps;
}

}  // namespace

Expected<int> read_schema_version(Database& database) {
    auto version = database.query_integer("PRAGMA user_version");
    if (!version) return version.error();
    if (*version > kProjectSchemaVersion) {
        return make_error(ErrorCode::version_too_new,
                          database.path() + ": this project was written by a newer Corral (schema version " +
                              std::to_string(*version) + "; this build reads up to " +
                              std::to_string(kProjectSchemaVersion) + "). It was not opened, so it is unchanged.");
    }
    return static_cast<int>(*version);
}

Status migrate(Database& database) {
    auto current = read_schema_version(database);
    if (!current) return current.error();
    for (const auto& step : migrations()) {
        if (step.version <= *current) continue;
        auto transaction = Transaction::begin(database);
        if (!transaction) return transaction.error();
        // Re-read inside the write lock: another connection may have migrated meanwhile.
        auto locked_version = read_schema_version(database);
        if (!locked_version) return locked_version.error();
        if (*locked_version >= step.version) continue;
        if (auto applied = database.execute(step.sql); !applied) return applied.error();
        auto record = database.prepare(
            "INSERT INTO schema_migrations(version, description, applied_at) "
            "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))");
        if (!record) return record.error();
        if (auto inserted = record->bind(1, step.version).bind(2, step.description).run(); !inserted) {
            return inserted.error();
        }
        if (auto set = database.execute("PRAGMA user_version = " + std::to_string(step.version)); !set) return set.error();
        if (auto committed = transaction->commit(); !committed) return committed.error();
    }
    return ok();
}

}  // namespace corral::store
