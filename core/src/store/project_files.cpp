// The project's large files (embeddings, maps, checkpoints) and the fine-tune runs that make
// checkpoints. The files are written and sealed before the database records them, so a
// record always points at a complete file; a damaged file is reported, never used.
#include <algorithm>
#include <cctype>

#include "store/project_impl.h"
#include "store/stored_file.h"

namespace corral {
namespace {

namespace fs = std::filesystem;
using store::Database;
using store::FileSeal;
using store::Transaction;

Status record_stored_file(Database& database, const std::string& relative, const char* kind, const FileSeal& seal) {
    auto statement = database.prepare(std::string(
        "INSERT INTO stored_files(file, kind, size_bytes, checksum, created_at) VALUES (?, ?, ?, ?, ") + store::kNowIso +
        ") ON CONFLICT(file) DO UPDATE SET kind = excluded.kind, size_bytes = excluded.size_bytes, "
        "checksum = excluded.checksum, created_at = excluded.created_at");
    if (!statement) return statement.error();
    return statement->bind(1, relative).bind(2, kind).bind(3, seal.size_bytes)
        .bind(4, static_cast<std::int64_t>(seal.checksum)).run();
}

Expected<FileSeal> stored_file_seal(Database& database, const std::string& relative) {
    auto query = database.prepare("SELECT size_bytes, checksum FROM stored_files WHERE file = ?");
    if (!query) return query.error();
    query->bind(1, relative);
    auto row = query->step();
    if (!row) return row.error();
    if (!*row) return make_error(ErrorCode::not_found, relative + ": not recorded in the project");
    return FileSeal{query->integer(0), static_cast<std::uint32_t>(query->integer(1))};
}

// Checkpoint names chosen by callers stay readable when they are plain file names.
std::string checkpoint_file_name(const std::string& name) {
    const bool plain = !name.empty() && name[0] != '.' && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
    return plain ? name : store::file_name_for(name);
}

Expected<RunStatus> parse_run_status(const std::string& text) {
    for (auto status : {RunStatus::running, RunStatus::finished, RunStatus::failed, RunStatus::cancelled}) {
        if (to_string(status) == text) return status;
    }
    return make_error(ErrorCode::corrupt_data, "unknown run status '" + text + "'");
}

}  // namespace

Status Project::store_embeddings(const std::string& encoder_id, const FloatMatrix& features) {
    if (encoder_id.empty()) return make_error(ErrorCode::invalid_argument, "embeddings need an encoder id");
    if (auto writable = store::check_writable(*impl_); !writable) return writable.error();
    const std::string relative = "embeddings/" + store::file_name_for(encoder_id) + ".bin";
    // The large write happens outside the lock so answers are not held up by it.
    auto seal = store::write_matrix_file(impl_->folder / relative, features);
    if (!seal) return seal.error();
    std::lock_guard lock(impl_->mutex);
    auto statement = impl_->database.prepare(std::string(
        "INSERT INTO encoders(encoder_id, file, rows, cols, size_bytes, checksum, created_at) VALUES (?, ?, ?, ?, ?, ?, ") +
        store::kNowIso + ") ON CONFLICT(encoder_id) DO UPDATE SET file = excluded.file, rows = excluded.rows, "
        "cols = excluded.cols, size_bytes = excluded.size_bytes, checksum = excluded.checksum, "
        "created_at = excluded.created_at");
    if (!statement) return statement.error();
    statement->bind(1, encoder_id).bind(2, relative).bind(3, features.rows()).bind(4, features.cols());
    return statement->bind(5, seal->size_bytes).bind(6, static_cast<std::int64_t>(seal->checksum)).run();
}

Expected<FloatMatrix> Project::load_embeddings(const std::string& encoder_id) const {
    std::string relative;
    std::int64_t rows = 0;
    std::int64_t cols = 0;
    {
        std::lock_guard lock(impl_->mutex);
        auto query = impl_->database.prepare("SELECT file, rows, cols FROM encoders WHERE encoder_id = ?");
        if (!query) return query.error();
        query->bind(1, encoder_id);
        auto row = query->step();
        if (!row) return row.error();
        if (!*row) return make_error(ErrorCode::not_found, "no stored embeddings for encoder " + encoder_id);
        relative = query->text(0);
        rows = query->integer(1);
        cols = query->integer(2);
    }
    // The file checks itself (size implied by its header, CRC-32 of header and contents); mapped,
    // so a million images' features are paged in from the file rather than copied into memory.
    auto matrix = store::map_matrix_file(impl_->folder / relative);
    if (!matrix) {
        if (matrix.error().code == ErrorCode::not_found) {
            return make_error(ErrorCode::corrupt_data, (impl_->folder / relative).string() +
                                                           ": the embeddings file vanished; it must be recomputed");
        }
        return matrix.error();
    }
    if (matrix->rows() != rows || matrix->cols() != cols) {
        return make_error(ErrorCode::corrupt_data, (impl_->folder / relative).string() + ": holds " +
                                                       std::to_string(matrix->rows()) + "x" +
                                                       std::to_string(matrix->cols()) + ", the project recorded " +
                                                       std::to_string(rows) + "x" + std::to_string(cols));
    }
    return matrix;
}

Expected<std::vector<StoredFileProblem>> Project::verify_files(const JobContext& job) const {
    struct Recorded {
        std::string file;
        std::string kind;
        FileSeal seal;
    };
    std::vector<Recorded> recorded;
    {
        std::lock_guard lock(impl_->mutex);
        auto query = impl_->database.prepare(
            "SELECT file, 'embeddings', size_bytes, checksum FROM encoders UNION ALL "
            "SELECT file, kind, size_bytes, checksum FROM stored_files ORDER BY 1");
        if (!query) return query.error();
        for (;;) {
            auto row = query->step();
            if (!row) return row.error();
            if (!*row) break;
            recorded.push_back({query->text(0), query->text(1),
                                FileSeal{query->integer(2), static_cast<std::uint32_t>(query->integer(3))}});
        }
    }
    std::vector<StoredFileProblem> problems;
    for (std::size_t i = 0; i < recorded.size(); ++i) {
        if (job.stop_requested()) return cancelled_error();
        job.report(static_cast<double>(i) / static_cast<double>(recorded.size()), "checking stored files");
        const auto& file = recorded[i];
        auto bytes = store::read_sealed_file(impl_->folder / file.file, file.seal);
        if (bytes) continue;
        std::string reason = bytes.error().code == ErrorCode::not_found ? "missing" : bytes.error().message;
        // The message starts with the path; the report names the file already.
        const std::string prefix = (impl_->folder / file.file).string() + ": ";
        if (reason.rfind(prefix, 0) == 0) reason = reason.substr(prefix.size());
        problems.push_back({file.file, file.kind, reason});
    }
    job.report(1.0, "checking stored files");
    return problems;
}

Expected<std::vector<EncoderRecord>> Project::encoders() const {
    std::lock_guard lock(impl_->mutex);
    auto query = impl_->database.prepare(
        "SELECT encoder_id, file, rows, cols, size_bytes, checksum FROM encoders ORDER BY encoder_id");
    if (!query) return query.error();
    std::vector<EncoderRecord> records;
    for (;;) {
        auto row = query->step();
        if (!row) return row.error();
        if (!*row) return records;
        records.push_back({query->text(0), query->text(1), query->integer(2), query->integer(3), query->integer(4),
                           static_cast<std::uint32_t>(query->integer(5))});
    }
}

Status Project::store_map(const std::string& name, const FloatMatrix& layout) {
    if (auto writable = store::check_writable(*impl_); !writable) return writable.error();
    const std::string relative = "maps/" + store::file_name_for(name) + ".bin";
    auto seal = store::write_matrix_file(impl_->folder / relative, layout);
    if (!seal) return seal.error();
    std::lock_guard lock(impl_->mutex);
    return record_stored_file(impl_->database, relative, "map", *seal);
}

Expected<FloatMatrix> Project::load_map(const std::string& name) const {
    const std::string relative = "maps/" + store::file_name_for(name) + ".bin";
    {
        std::lock_guard lock(impl_->mutex);
        if (auto seal = stored_file_seal(impl_->database, relative); !seal) return seal.error();
    }
    return store::read_matrix_file(impl_->folder / relative);
}

Expected<std::int64_t> Project::begin_run(std::optional<std::int64_t> clustering_id, const std::string& parameters_json) {
    if (auto valid = store::check_json_object(parameters_json, "run parameters"); !valid) return valid.error();
    std::lock_guard lock(impl_->mutex);
    auto insert = impl_->database.prepare(std::string(
        "INSERT INTO finetune_runs(clustering_id, parameters, status, metrics, started_at) VALUES (?, ?, 'running', "
        "'{}', ") + store::kNowIso + ")");
    if (!insert) return insert.error();
    if (auto inserted = insert->bind(1, clustering_id).bind(2, parameters_json).run(); !inserted) return inserted.error();
    return impl_->database.last_insert_id();
}

Status Project::finish_run(std::int64_t run_id, RunStatus status, const std::string& metrics_json,
                           std::optional<std::int64_t> result_clustering_id) {
    if (auto valid = store::check_json_object(metrics_json, "run metrics"); !valid) return valid.error();
    std::lock_guard lock(impl_->mutex);
    auto update = impl_->database.prepare(std::string(
        "UPDATE finetune_runs SET status = ?, metrics = ?, result_clustering_id = ?, finished_at = ") +
        store::kNowIso + " WHERE run_id = ?");
    if (!update) return update.error();
    update->bind(1, to_string(status)).bind(2, metrics_json).bind(3, result_clustering_id).bind(4, run_id);
    if (auto updated = update->run(); !updated) return updated.error();
    if (sqlite3_changes(impl_->database.handle()) == 0) {
        return make_error(ErrorCode::not_found, "no fine-tune run with id " + std::to_string(run_id));
    }
    return ok();
}

Expected<std::vector<FineTuneRun>> Project::runs() const {
    std::lock_guard lock(impl_->mutex);
    auto query = impl_->database.prepare(
        "SELECT run_id, clustering_id, result_clustering_id, parameters, status, metrics, started_at, "
        "coalesce(finished_at, '') FROM finetune_runs ORDER BY run_id");
    if (!query) return query.error();
    std::vector<FineTuneRun> records;
    for (;;) {
        auto row = query->step();
        if (!row) return row.error();
        if (!*row) return records;
        FineTuneRun run;
        run.id = query->integer(0);
        if (!query->is_null(1)) run.clustering_id = query->integer(1);
        if (!query->is_null(2)) run.result_clustering_id = query->integer(2);
        run.parameters_json = query->text(3);
        auto status = parse_run_status(query->text(4));
        if (!status) return status.error();
        run.status = *status;
        run.metrics_json = query->text(5);
        run.started_at = query->text(6);
        run.finished_at = query->text(7);
        records.push_back(std::move(run));
    }
}

Expected<CheckpointRecord> Project::store_checkpoint(std::int64_t run_id, int epoch, const std::string& name,
                                                     std::span<const std::byte> bytes) {
    if (auto writable = store::check_writable(*impl_); !writable) return writable.error();
    const std::string relative = "checkpoints/" + checkpoint_file_name(name);
    auto seal = store::write_file_atomically(impl_->folder / relative, {bytes});
    if (!seal) return seal.error();
    std::lock_guard lock(impl_->mutex);
    auto& database = impl_->database;
    auto transaction = Transaction::begin(database);
    if (!transaction) return transaction.error();
    if (auto recorded = record_stored_file(database, relative, "checkpoint", *seal); !recorded) return recorded.error();
    auto insert = database.prepare(std::string("INSERT INTO checkpoints(run_id, epoch, file, created_at) VALUES (?, ?, ?, ") +
                                   store::kNowIso + ")");
    if (!insert) return insert.error();
    if (auto inserted = insert->bind(1, run_id).bind(2, epoch).bind(3, relative).run(); !inserted) {
        if (inserted.error().code == ErrorCode::invalid_argument) {
            return make_error(ErrorCode::not_found, "no fine-tune run with id " + std::to_string(run_id));
        }
        return inserted.error();
    }
    const std::int64_t id = database.last_insert_id();
    if (auto committed = transaction->commit(); !committed) return committed.error();
    return CheckpointRecord{id, run_id, epoch, relative};
}

Expected<std::vector<std::byte>> Project::load_checkpoint(const CheckpointRecord& checkpoint) const {
    FileSeal seal;
    {
        std::lock_guard lock(impl_->mutex);
        auto found = stored_file_seal(impl_->database, checkpoint.file);
        if (!found) return found.error();
        seal = *found;
    }
    return store::read_sealed_file(impl_->folder / checkpoint.file, seal);
}

Expected<std::vector<CheckpointRecord>> Project::checkpoints(std::int64_t run_id) const {
    std::lock_guard lock(impl_->mutex);
    auto query = impl_->database.prepare(
        "SELECT checkpoint_id, run_id, epoch, file FROM checkpoints WHERE run_id = ? ORDER BY checkpoint_id");
    if (!query) return query.error();
    query->bind(1, run_id);
    std::vector<CheckpointRecord> records;
    for (;;) {
        auto row = query->step();
        if (!row) return row.error();
        if (!*row) return records;
        records.push_back({query->integer(0), query->integer(1), static_cast<int>(query->integer(2)), query->text(3)});
    }
}

}  // namespace corral
