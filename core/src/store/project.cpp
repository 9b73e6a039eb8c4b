// Opening, creating and locking a project folder; the dataset, images, settings and resume
// state. Clusterings, rounds and answers are in project_annotations.cpp; large files in
// project_files.cpp.
#include "corral/core/project.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "guard.h"
#include "store/project_impl.h"
#include "store/schema.h"
#include "store/stored_file.h"

namespace corral {

namespace fs = std::filesystem;
using store::Database;
using store::Transaction;

Project::Impl::~Impl() {
    if (lock_fd >= 0) ::close(lock_fd);  // closing releases the flock
}

namespace store {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Status check_writable(const Project::Impl& impl) {
    if (!impl.read_only) return ok();
    return make_error(ErrorCode::io_error, impl.folder.string() + ": the project was opened read-only; nothing was written");
}

Status check_json_object(const std::string& text, const std::string& what) {
    try {
        if (nlohmann::json::parse(text).is_object()) return ok();
    } catch (const nlohmann::json::exception&) {
    }
    return make_error(ErrorCode::invalid_argument, what + " must be a JSON object, not '" + text + "'");
}

}  // namespace store

namespace {

// The project's lock file, held with flock for the Project's lifetime. flock locks belong to
// the open file, so a second open in the same process conflicts too, and the kernel drops the
// lock when a process dies, so a crash never leaves a project locked.
Expected<int> acquire_lock(const fs::path& folder) {
    const fs::path path = folder / store::kLockFile;
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (errno == EACCES || errno == EROFS || errno == EPERM) {
            return make_error(ErrorCode::io_error, folder.string() +
                                                       ": the project folder is read-only; Corral needs to write "
                                                       "there to save answers (" + std::strerror(errno) + ")");
        }
        return store::error_from_errno(errno, path, "open lock file");
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int error_number = errno;
        char holder[32] = {};
        const ssize_t got = ::pread(fd, holder, sizeof holder - 1, 0);
        ::close(fd);
        if (error_number == EWOULDBLOCK) {
            std::string who = got > 0 ? " (process " + std::string(holder, static_cast<std::size_t>(got)) + ")" : "";
            return make_error(ErrorCode::busy, folder.string() + ": the project is already open in another Corral" +
                                                   who + "; close it there first");
        }
        return store::error_from_errno(error_number, path, "lock");
    }
    const std::string pid = std::to_string(::getpid());
    // Who holds the lock is only a hint for the message above; failing to write it is harmless.
    if (::ftruncate(fd, 0) == 0) [[maybe_unused]] auto ignored = ::pwrite(fd, pid.data(), pid.size(), 0);
    return fd;
}

Status configure_connection(Database& database) {
    auto mode = database.prepare("PRAGMA journal_mode = WAL");
    if (!mode) return mode.error();
    auto row = mode->step();
    if (!row) return row.error();
    if (!*row || mode->text(0) != "wal") {
        return make_error(ErrorCode::io_error, database.path() + ": cannot switch the database to WAL mode");
    }
    // FULL: the WAL is fsynced at every commit, so an acknowledged answer survives power loss.
    return database.execute("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
}

Status quick_check(Database& database) {
    auto check = database.prepare("PRAGMA quick_check");
    if (!check) return check.error();
    auto row = check->step();
    if (!row) return row.error();
    if (*row && check->text(0) != "ok") {
        return make_error(ErrorCode::corrupt_data, database.path() + ": the project database is damaged (" +
                                                       check->text(0) + "); it was left as it is");
    }
    return ok();
}

// The hidden name a project is built under before it is renamed into place.
std::string creation_prefix(const fs::path& folder) {
    std::string prefix(".");
    prefix += folder.filename().string();
    prefix += ".creating-";
    return prefix;
}

// Leftovers of creations that were killed: their lock is free, so nobody is still working there.
void remove_abandoned_creations(const fs::path& folder) {
    std::error_code error;
    const std::string prefix = creation_prefix(folder);
    for (const auto& entry : fs::directory_iterator(folder.parent_path(), error)) {
        if (entry.path().filename().string().rfind(prefix, 0) != 0) continue;
        auto lock = acquire_lock(entry.path());
        if (!lock) continue;
        fs::remove_all(entry.path(), error);
        ::close(*lock);
    }
}

Status initialise(const fs::path& folder) {
    for (const char* sub : {"embeddings", "checkpoints", "maps"}) {
        if (!fs::create_directory(folder / sub) && !fs::is_directory(folder / sub)) {
            return make_error(ErrorCode::io_error, (folder / sub).string() + ": cannot create");
        }
    }
    auto database = Database::open((folder / store::kDatabaseFile).string(), store::OpenMode::create);
    if (!database) return database.error();
    if (auto configured = configure_connection(*database); !configured) return configured.error();
    return store::migrate(*database);
}

// The database file of an existing project folder, or why there is none.
Expected<fs::path> check_project_folder(const fs::path& folder) {
    std::error_code error;
    if (!fs::is_directory(folder, error)) {
        return make_error(ErrorCode::not_found, folder.string() + ": no such project folder");
    }
    const fs::path database_path = folder / store::kDatabaseFile;
    if (!fs::exists(database_path, error)) {
        return make_error(ErrorCode::not_found,
                          folder.string() + ": not a Corral project (no " + store::kDatabaseFile + ")");
    }
    return database_path;
}

// SQLite treats an empty file as an empty database and would happily create the schema in it:
// an empty or foreign file is refused before SQLite sees it. Reads only.
Status check_database_file(const fs::path& path) {
    const auto refuse = [&](const std::string& why) {
        return make_error(ErrorCode::corrupt_data, path.string() + ": the project database is damaged or not a Corral "
                                                                   "project (" + why + "); the file was left as it is");
    };
    std::error_code error;
    const auto size = fs::file_size(path, error);
    if (error) return store::error_from_errno(error.value(), path, "stat");
    if (size == 0) return refuse("it is empty, 0 bytes");
    char header[16] = {};
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return store::error_from_errno(errno, path, "open");
    const ssize_t got = ::pread(fd, header, sizeof header, 0);
    ::close(fd);
    if (got != static_cast<ssize_t>(sizeof header) || std::memcmp(header, "SQLite format 3", 16) != 0) {
        return refuse("no SQLite header");
    }
    return ok();
}

// Before anything is written: the file, the schema version (newer: refused), that the schema is
// Corral's (an SQLite file that never had it is refused, not filled in) and PRAGMA quick_check.
Status check_database(Database& database) {
    if (auto file = check_database_file(database.path()); !file) return file.error();
    auto version = store::read_schema_version(database);
    if (!version) return version.error();
    if (*version == 0) {
        return make_error(ErrorCode::corrupt_data, database.path() + ": the project database is damaged or not a "
                                                                     "Corral project (it has no Corral schema); the "
                                                                     "file was left as it is");
    }
    return quick_check(database);
}

}  // namespace

Project::Project(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Project::~Project() = default;

const fs::path& Project::folder() const { return impl_->folder; }
int Project::schema_version() const { return impl_->schema_version; }

Expected<std::unique_ptr<Project>> Project::open(const fs::path& folder) {
    return detail::guarded(folder.string(), [&]() -> Expected<std::unique_ptr<Project>> {
        auto database_path = check_project_folder(folder);
        if (!database_path) return database_path.error();
        auto lock = acquire_lock(folder);
        if (!lock) return lock.error();
        auto database = Database::open(database_path->string(), store::OpenMode::read_write);
        if (!database) {
            ::close(*lock);
            return database.error();
        }
        auto impl = std::make_unique<Impl>(folder, *lock, std::move(*database));
        // Nothing is written before the version and health checks pass: a newer or damaged
        // project stays byte for byte as it was.
        if (auto checked = check_database(impl->database); !checked) return checked.error();
        if (auto configured = configure_connection(impl->database); !configured) return configured.error();
        if (auto migrated = store::migrate(impl->database); !migrated) return migrated.error();
        impl->schema_version = kProjectSchemaVersion;
        return std::unique_ptr<Project>(new Project(std::move(impl)));
    });
}

Expected<std::unique_ptr<Project>> Project::open_read_only(const fs::path& folder) {
    return detail::guarded(folder.string(), [&]() -> Expected<std::unique_ptr<Project>> {
        auto database_path = check_project_folder(folder);
        if (!database_path) return database_path.error();
        // A shared lock (read-only access to the lock file suffices) while no writer holds the
        // project keeps writers out while we read: then the file can be read as immutable, with
        // no -shm or -wal file created, which is also the only way in a folder nobody can write
        // (an archive, a read-only mount). Beside a writer, or after a crash left a WAL with
        // content, SQLite's ordinary WAL reader is used.
        std::error_code error;
        const fs::path wal = database_path->string() + "-wal";
        const bool wal_has_content = fs::exists(wal, error) && fs::file_size(wal, error) > 0;
        int lock = ::open((folder / store::kLockFile).c_str(), O_RDONLY | O_CLOEXEC);
        if (lock >= 0 && ::flock(lock, LOCK_SH | LOCK_NB) != 0) {
            ::close(lock);  // a writer has the project open
            lock = -1;
        }
        const bool alone = lock >= 0 || !fs::exists(folder / store::kLockFile, error);
        const auto mode = alone && !wal_has_content ? store::OpenMode::immutable : store::OpenMode::read_only;
        auto database = Database::open(database_path->string(), mode);
        if (!database) {
            if (lock >= 0) ::close(lock);
            return database.error();
        }
        auto impl = std::make_unique<Impl>(folder, lock, std::move(*database));
        impl->read_only = true;
        if (auto checked = check_database(impl->database); !checked) return checked.error();
        auto version = store::read_schema_version(impl->database);
        if (!version) return version.error();
        if (*version < kProjectSchemaVersion) {
            return make_error(ErrorCode::unsupported, folder.string() + ": the project needs an upgrade to schema version " +
                                                          std::to_string(kProjectSchemaVersion) +
                                                          ", which a read-only open cannot do; open it once where it "
                                                          "can be written");
        }
        impl->schema_version = *version;
        return std::unique_ptr<Project>(new Project(std::move(impl)));
    });
}

Expected<std::unique_ptr<Project>> Project::create(const fs::path& folder) {
    return detail::guarded(folder.string(), [&] { return create_project(folder); });
}

Expected<std::unique_ptr<Project>> Project::create_project(const fs::path& folder) {
    std::error_code error;
    if (fs::exists(folder, error)) return make_error(ErrorCode::invalid_argument, folder.string() + ": already exists");
    const fs::path parent = folder.parent_path().empty() ? fs::path(".") : folder.parent_path();
    fs::create_directories(parent, error);
    if (error) return store::error_from_errno(error.value(), parent, "create folder");
    remove_abandoned_creations(parent / folder.filename());
    // Built under a hidden name and renamed into place, so a project folder either does not
    // exist or is complete.
    const fs::path building = parent / (creation_prefix(folder) + std::to_string(::getpid()));
    fs::remove_all(building, error);
    if (!fs::create_directory(building, error)) return store::error_from_errno(error.value(), building, "create folder");
    auto lock = acquire_lock(building);
    if (!lock) {
        fs::remove_all(building, error);
        return lock.error();
    }
    auto initialised = initialise(building);
    ::close(*lock);
    if (!initialised) {
        fs::remove_all(building, error);
        return initialised.error();
    }
    if (::rename(building.c_str(), folder.c_str()) != 0) {
        const int error_number = errno;
        fs::remove_all(building, error);
        if (error_number == EEXIST || error_number == ENOTEMPTY) return open(folder);  // another process won
        return store::error_from_errno(error_number, folder, "rename");
    }
    if (const int fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
    return open(folder);
}

Expected<std::unique_ptr<Project>> Project::open_or_create(const fs::path& folder) {
    std::error_code error;
    if (fs::exists(folder, error)) return open(folder);
    return create(folder);
}

bool Project::read_only() const { return impl_->read_only; }

Status Project::set_dataset(const DatasetRecord& dataset, const std::vector<ImageRecord>& images) {
    std::lock_guard lock(impl_->mutex);
    auto& database = impl_->database;
    auto transaction = Transaction::begin(database);
    if (!transaction) return transaction.error();
    auto existing = database.prepare("SELECT spec, image_limit FROM dataset");
    if (!existing) return existing.error();
    auto row = existing->step();
    if (!row) return row.error();
    if (*row && (existing->text(0) != dataset.spec || existing->integer(1) != dataset.limit)) {
        return make_error(ErrorCode::invalid_argument,
                          impl_->folder.string() + ": the project belongs to dataset '" + existing->text(0) +
                              "' (limit " + std::to_string(existing->integer(1)) + "), not '" + dataset.spec +
                              "'; use a new project for another dataset");
    }
    if (auto cleared = database.execute("DELETE FROM dataset; DELETE FROM images;"); !cleared) return cleared.error();
    auto insert_dataset = database.prepare(
        std::string("INSERT INTO dataset(singleton, spec, description, image_limit, image_count, class_names, "
                    "registered_at) VALUES (1, ?, ?, ?, ?, ?, ") + store::kNowIso + ")");
    if (!insert_dataset) return insert_dataset.error();
    insert_dataset->bind(1, dataset.spec).bind(2, dataset.description).bind(3, dataset.limit);
    insert_dataset->bind(4, static_cast<std::int64_t>(images.size())).bind(5, store::to_json_text(dataset.class_names));
    if (auto inserted = insert_dataset->run(); !inserted) return inserted.error();
    auto insert = database.prepare(
        "INSERT INTO images(image_index, name, file, packed, size_bytes, content_hash, label) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!insert) return insert.error();
    for (const auto& image : images) {
        insert->reset().bind(1, image.index).bind(2, image.name).bind(3, image.file).bind(4, image.packed ? 1 : 0);
        insert->bind(5, image.size_bytes).bind(6, image.content_hash).bind(7, image.label);
        if (auto inserted = insert->run(); !inserted) return inserted.error();
    }
    return transaction->commit();
}

Expected<std::optional<DatasetRecord>> Project::dataset() const {
    std::lock_guard lock(impl_->mutex);
    auto query = impl_->database.prepare("SELECT spec, description, image_limit, image_count, class_names FROM dataset");
    if (!query) return query.error();
    auto row = query->step();
    if (!row) return row.error();
    if (!*row) return std::optional<DatasetRecord>();
    DatasetRecord record{query->text(0), query->text(1), query->integer(2), query->integer(3), {}};
    auto names = store::from_json_text<std::string>(query->text(4), "dataset class names");
    if (!names) return names.error();
    record.class_names = std::move(*names);
    return std::optional<DatasetRecord>(std::move(record));
}

Expected<std::vector<ImageRecord>> Project::images() const {
    std::lock_guard lock(impl_->mutex);
    auto query = impl_->database.prepare(
        "SELECT image_index, name, file, packed, size_bytes, content_hash, label FROM images ORDER BY image_index");
    if (!query) return query.error();
    std::vector<ImageRecord> images;
    for (;;) {
        auto row = query->step();
        if (!row) return row.error();
        if (!*row) break;
        images.push_back({query->integer(0), query->text(1), query->text(2), query->integer(3) != 0,
                          query->integer(4), query->text(5), static_cast<int>(query->integer(6))});
    }
    return images;
}

Status Project::set_setting(const std::string& key, const std::string& value) {
    std::lock_guard lock(impl_->mutex);
    auto statement = impl_->database.prepare(
        "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    if (!statement) return statement.error();
    return statement->bind(1, key).bind(2, value).run();
}

Expected<std::optional<std::string>> Project::setting(const std::string& key) const {
    std::lock_guard lock(impl_->mutex);
    auto query = impl_->database.prepare("SELECT value FROM settings WHERE key = ?");
    if (!query) return query.error();
    query->bind(1, key);
    auto row = query->step();
    if (!row) return row.error();
    if (!*row) return std::optional<std::string>();
    return std::optional<std::string>(query->text(0));
}

Expected<ResumeState> Project::resume_state() const {
    ResumeState state;
    auto current = current_clustering_id();
    if (!current) return current.error();
    state.current_clustering_id = *current;
    auto round = open_round();
    if (!round) return round.error();
    state.open_round = std::move(*round);
    std::lock_guard lock(impl_->mutex);
    auto count = impl_->database.query_integer("SELECT count(*) FROM answers WHERE undone_at_ms IS NULL");
    if (!count) return count.error();
    state.active_answers = *count;
    return state;
}

Status Project::check_integrity() const {
    std::lock_guard lock(impl_->mutex);
    auto check = impl_->database.prepare("PRAGMA integrity_check");
    if (!check) return check.error();
    std::string findings;
    for (;;) {
        auto row = check->step();
        if (!row) return row.error();
        if (!*row) break;
        if (check->text(0) != "ok") findings += check->text(0) + "; ";
    }
    if (!findings.empty()) {
        return make_error(ErrorCode::corrupt_data, impl_->database.path() + ": integrity check failed: " + findings);
    }
    return ok();
}

std::string_view to_string(AnswerKind kind) {
    switch (kind) {
        case AnswerKind::positive: return "positive";
        case AnswerKind::negative: return "negative";
        case AnswerKind::skip: return "skip";
        case AnswerKind::manual_move: return "manual_move";
    }
    return "skip";
}

std::string_view to_string(RunStatus status) {
    switch (status) {
        case RunStatus::running: return "running";
        case RunStatus::finished: return "finished";
        case RunStatus::failed: return "failed";
        case RunStatus::cancelled: return "cancelled";
    }
    return "failed";
}

}  // namespace corral
