#pragma once
// Project's private state, shared by the store/project_*.cpp files that implement its parts.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "corral/core/project.h"
#include "store/sqlite_database.h"

namespace corral {

class Project::Impl {
public:
    Impl(std::filesystem::path folder_path, int lock, store::Database db)
        : folder(std::move(folder_path)), lock_fd(lock), database(std::move(db)) {}
    ~Impl();

    std::filesystem::path folder;
    int lock_fd;
    store::Database database;
    int schema_version = 0;
    bool read_only = false;  // opened by open_read_only: no lock held, every write refused
    // One writer at a time on the connection, and reads that see whole transactions.
    mutable std::mutex mutex;
};

namespace store {

inline constexpr const char* kDatabaseFile = "project.sqlite";
inline constexpr const char* kLockFile = "lock";
inline constexpr const char* kNowIso = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

std::int64_t now_ms();

// io_error for a write on a project opened read-only; ok otherwise.
Status check_writable(const Project::Impl& impl);

// Never throws for text that is not UTF-8 (a folder name in Latin-1, say): such bytes become
// U+FFFD. Only display text (class names) can carry them; paths are stored as columns, not JSON.
template <typename T>
std::string to_json_text(const std::vector<T>& values) {
    return nlohmann::json(values).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Parses a JSON array stored by to_json_text; a malformed one yields corrupt_data.
template <typename T>
Expected<std::vector<T>> from_json_text(const std::string& text, const std::string& what) {
    try {
        return nlohmann::json::parse(text).get<std::vector<T>>();
    } catch (const nlohmann::json::exception& error) {
        return make_error(ErrorCode::corrupt_data, what + ": malformed stored list (" + error.what() + ")");
    }
}

// Validates that `text` is a JSON object, for parameters and metrics columns.
Status check_json_object(const std::string& text, const std::string& what);

}  // namespace store
}  // namespace corral
