#pragma once
// A small RAII layer over the SQLite C API for the project store: one connection, prepared
// statements, transactions, and SQLite result codes turned into corral Errors (disk full,
// corrupt, read-only, busy) with a message that names the database file.
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "corral/core/expected.h"

namespace corral::store {

class Database;

// A prepared statement; parameters are bound by 1-based position. Finalised on destruction.
class Statement {
public:
    Statement(Database& database, sqlite3_stmt* statement) : database_(&database), statement_(statement) {}
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;
    ~Statement();

    Statement& bind(int position, std::int64_t value);
    Statement& bind(int position, int value) { return bind(position, static_cast<std::int64_t>(value)); }
    Statement& bind(int position, double value);
    Statement& bind(int position, std::string_view text);
    Statement& bind(int position, const char* text) { return bind(position, std::string_view(text)); }
    Statement& bind_blob(int position, const void* data, std::size_t bytes);
    Statement& bind_null(int position);
    template <typename T>
    Statement& bind(int position, const std::optional<T>& value) {
        return value ? bind(position, *value) : bind_null(position);
    }

    // Advances one row: true when a row is available, false when done; errors as Error.
    Expected<bool> step();
    // Runs to completion, ignoring any rows.
    Status run();
    // Makes the statement ready to run again with new bindings.
    Statement& reset();

    bool is_null(int column) const;
    std::int64_t integer(int column) const;
    double real(int column) const;
    std::string text(int column) const;
    std::vector<std::uint8_t> blob(int column) const;

private:
    Database* database_;
    sqlite3_stmt* statement_;
};

enum class OpenMode {
    read_write,  // an existing file
    create,      // created when missing
    read_only,   // no writes; WAL readers still coordinate through the -shm file
    immutable,   // no writes and no locks or -shm file: for a read-only folder (an archive)
};

class Database {
public:
    // Opens the file. Nothing is read yet, so a damaged file is only noticed by the first statement.
    static Expected<Database> open(const std::string& path, OpenMode mode);
    Database(Database&& other) noexcept;
    Database& operator=(Database&&) = delete;
    Database(const Database&) = delete;
    ~Database();

    Expected<Statement> prepare(std::string_view sql);
    // Runs one or more statements that take no parameters.
    Status execute(std::string_view sql);
    // The first column of the first row as an integer (for PRAGMAs and counts).
    Expected<std::int64_t> query_integer(std::string_view sql);
    std::int64_t last_insert_id() const;

    // The Error for SQLite result `code`, naming the file and the operation.
    Error error_from(int code, std::string_view operation) const;
    const std::string& path() const { return path_; }
    sqlite3* handle() { return handle_; }

private:
    Database(sqlite3* handle, std::string path) : handle_(handle), path_(std::move(path)) {}
    sqlite3* handle_;
    std::string path_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back on destruction unless commit() succeeded.
class Transaction {
public:
    static Expected<Transaction> begin(Database& database);
    Transaction(Transaction&& other) noexcept : database_(other.database_) { other.database_ = nullptr; }
    Transaction& operator=(Transaction&&) = delete;
    ~Transaction();
    // Returns once the commit is durable (synchronous=FULL makes SQLite fsync the WAL first).
    Status commit();

private:
    explicit Transaction(Database& database) : database_(&database) {}
    Database* database_;
};

}  // namespace corral::store
