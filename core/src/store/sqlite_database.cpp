#include "store/sqlite_database.h"

#include <sys/resource.h>
#include <sys/statvfs.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace corral::store {

Statement::Statement(Statement&& other) noexcept : database_(other.database_), statement_(other.statement_) {
    other.statement_ = nullptr;
}

Statement::~Statement() {
    if (statement_) sqlite3_finalize(statement_);
}

// Binding errors (a wrong position) are programming errors; SQLite reports them again at step().
Statement& Statement::bind(int position, std::int64_t value) {
    sqlite3_bind_int64(statement_, position, value);
    return *this;
}

Statement& Statement::bind(int position, double value) {
    sqlite3_bind_double(statement_, position, value);
    return *this;
}

Statement& Statement::bind(int position, std::string_view text) {
    sqlite3_bind_text64(statement_, position, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    return *this;
}

Statement& Statement::bind_blob(int position, const void* data, std::size_t bytes) {
    sqlite3_bind_blob64(statement_, position, bytes ? data : "", bytes, SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bind_null(int position) {
    sqlite3_bind_null(statement_, position);
    return *this;
}

Expected<bool> Statement::step() {
    const int code = sqlite3_step(statement_);
    if (code == SQLITE_ROW) return true;
    if (code == SQLITE_DONE) return false;
    return database_->error_from(code, sqlite3_sql(statement_));
}

Status Statement::run() {
    for (;;) {
        auto row = step();
        if (!row) return row.error();
        if (!*row) return ok();
    }
}

Statement& Statement::reset() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
    return *this;
}

bool Statement::is_null(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }
std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(statement_, column); }
double Statement::real(int column) const { return sqlite3_column_double(statement_, column); }

std::string Statement::text(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
    return text ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(statement_, column))) : std::string();
}

std::vector<std::uint8_t> Statement::blob(int column) const {
    const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(statement_, column));
    const int bytes = sqlite3_column_bytes(statement_, column);
    return data ? std::vector<std::uint8_t>(data, data + bytes) : std::vector<std::uint8_t>();
}

namespace {

// A file: URI for `path` (SQLite URIs reserve '?', '#' and '%').
std::string file_uri(const std::string& path) {
    std::string uri = "file:";
    for (unsigned char c : path) {
        if (std::isalnum(c) || c == '/' || c == '.' || c == '-' || c == '_' || c == '~') {
            uri += static_cast<char>(c);
        } else {
            char escaped[4];
            std::snprintf(escaped, sizeof escaped, "%%%02X", c);
            uri += escaped;
        }
    }
    return uri;
}

}  // namespace

Expected<Database> Database::open(const std::string& path, OpenMode mode) {
    sqlite3* handle = nullptr;
    int flags = SQLITE_OPEN_FULLMUTEX;
    std::string name = path;
    switch (mode) {
        case OpenMode::read_write: flags |= SQLITE_OPEN_READWRITE; break;
        case OpenMode::create: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE; break;
        case OpenMode::read_only: flags |= SQLITE_OPEN_READONLY; break;
        case OpenMode::immutable:
            flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
            name = file_uri(path) + "?immutable=1";
            break;
    }
    const int code = sqlite3_open_v2(name.c_str(), &handle, flags, nullptr);
    Database database(handle, path);
    if (code != SQLITE_OK) return database.error_from(code, "open");
    sqlite3_extended_result_codes(handle, 1);
    sqlite3_busy_timeout(handle, 5000);
    return database;
}

Database::Database(Database&& other) noexcept : handle_(other.handle_), path_(std::move(other.path_)) {
    other.handle_ = nullptr;
}

Database::~Database() {
    if (handle_) sqlite3_close_v2(handle_);
}

Expected<Statement> Database::prepare(std::string_view sql) {
    sqlite3_stmt* statement = nullptr;
    const int code = sqlite3_prepare_v2(handle_, sql.data(), static_cast<int>(sql.size()), &statement, nullptr);
    if (code != SQLITE_OK) return error_from(code, sql);
    return Statement(*this, statement);
}

Status Database::execute(std::string_view sql) {
    const std::string text(sql);
    const int code = sqlite3_exec(handle_, text.c_str(), nullptr, nullptr, nullptr);
    if (code != SQLITE_OK) return error_from(code, sql);
    return ok();
}

Expected<std::int64_t> Database::query_integer(std::string_view sql) {
    auto statement = prepare(sql);
    if (!statement) return statement.error();
    auto row = statement->step();
    if (!row) return row.error();
    if (!*row) return make_error(ErrorCode::not_found, path_ + ": no result for " + std::string(sql));
    return statement->integer(0);
}

std::int64_t Database::last_insert_id() const { return sqlite3_last_insert_rowid(handle_); }

namespace {

// SQLite reports ENOSPC as SQLITE_FULL, but a write refused for a file-size limit (EFBIG) or a
// quota as a plain write error, and does not always keep the errno. A failed write while space
// or the size limit is exhausted is, for the user, a full disk.
bool space_exhausted(int extended_code, const std::string& database_path) {
    if (extended_code != SQLITE_IOERR_WRITE && extended_code != SQLITE_IOERR_TRUNCATE &&
        extended_code != SQLITE_IOERR_SHMSIZE && extended_code != SQLITE_IOERR_FSYNC) {
        return false;
    }
    rlimit limit{};
    if (::getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) return true;
    struct statvfs space {};
    const std::string folder = std::filesystem::path(database_path).parent_path().string();
    return ::statvfs(folder.empty() ? "." : folder.c_str(), &space) == 0 &&
           static_cast<unsigned long long>(space.f_bavail) * space.f_frsize < (1ull << 20);
}

}  // namespace

Error Database::error_from(int code, std::string_view operation) const {
    const int primary = code & 0xff;
    const int system_errno = handle_ ? sqlite3_system_errno(handle_) : 0;
    std::string detail = handle_ ? sqlite3_errmsg(handle_) : sqlite3_errstr(code);
    if (system_errno != 0) detail += std::string(" (") + std::strerror(system_errno) + ")";
    std::string what(operation.substr(0, 80));
    const std::string where = path_ + ": ";
    // The OS error decides first: SQLite reports a write refused by a file-size limit as a
    // plain I/O error, but for the user it is the same as a full disk.
    if (primary == SQLITE_FULL || system_errno == ENOSPC || system_errno == EFBIG || system_errno == EDQUOT ||
        space_exhausted(code, path_)) {
        return make_error(ErrorCode::disk_full,
                          where + "the disk is full; the last change was not saved, earlier work is intact (" +
                              detail + ")");
    }
    if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
        return make_error(ErrorCode::corrupt_data,
                          where + "the project database is damaged or not a Corral project (" + detail +
                              "); the file was left as it is");
    }
    if (primary == SQLITE_READONLY || primary == SQLITE_PERM || system_errno == EACCES || system_errno == EROFS ||
        system_errno == EPERM) {
        return make_error(ErrorCode::io_error, where + "cannot write: the project folder or file is read-only (" +
                                                   detail + ")");
    }
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
        return make_error(ErrorCode::busy, where + "the database is in use by another process (" + detail + ")");
    }
    if (primary == SQLITE_CONSTRAINT) {
        return make_error(ErrorCode::invalid_argument, where + detail + " in: " + what);
    }
    if (primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN) {
        return make_error(ErrorCode::io_error, where + detail);
    }
    return make_error(ErrorCode::internal, where + detail + " in: " + what);
}

Expected<Transaction> Transaction::begin(Database& database) {
    if (auto begun = database.execute("BEGIN IMMEDIATE"); !begun) return begun.error();
    return Transaction(database);
}

Transaction::~Transaction() {
    // A failed COMMIT (disk full) leaves the transaction open; rolling back returns the
    // connection to a clean state. Errors here have nowhere to go and change nothing on disk.
    if (database_ && !sqlite3_get_autocommit(database_->handle())) {
        sqlite3_exec(database_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
}

Status Transaction::commit() {
    if (!database_) return make_error(ErrorCode::internal, "commit of a finished transaction");
    auto committed = database_->execute("COMMIT");
    if (!committed) return committed.error();
    database_ = nullptr;
    return ok();
}

}  // namespace corral::store
