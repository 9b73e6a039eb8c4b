#pragma once
// The project database schema and its migrations. The schema version is PRAGMA user_version;
// schema_migrations records when each step was applied.
#include "corral/core/expected.h"
#include "store/sqlite_database.h"

namespace corral::store {

// Reads the schema version without writing anything: version_too_new if newer than this build,
// corrupt_data if the file is not a database.
Expected<int> read_schema_version(Database& database);
// Applies every migration above the database's version, each in its own transaction.
Status migrate(Database& database);

}  // namespace corral::store
