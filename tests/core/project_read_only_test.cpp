// A project database that is empty or not Corral's is refused and left as it was, also by the
// read-only open that `info` and `export` use; a read-only (archived) project can be inspected;
// verify_files finds damaged embeddings, maps and checkpoints by their recorded checksums.
#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <set>
#include <sstream>

#include "corral/core/project.h"
#include "project_helper_process.h"
#include "test_support.h"

namespace {

using namespace corral;
using corral::testing::HelperProcess;
using corral::testing::read_file;
using corral::testing::TempDir;
using corral::testing::write_file;
namespace fs = std::filesystem;

void make_project(const fs::path& folder, int answers) {
    auto project = Project::create(folder);
    REQUIRE(project);
    for (int i = 0; i < answers; ++i) {
        REQUIRE((*project)->record_answer({std::nullopt, std::nullopt, i, {i}, AnswerKind::manual_move, 1, 0}));
    }
}

std::set<std::string> listing(const fs::path& folder) {
    std::set<std::string> names;
    for (const auto& entry : fs::recursive_directory_iterator(folder)) {
        names.insert(fs::relative(entry.path(), folder).string() + ":" +
                     (entry.is_regular_file() ? std::to_string(entry.file_size()) : "dir"));
    }
    return names;
}

}  // namespace

TEST_CASE("an empty or foreign project.sqlite is refused by every open and left as it was", "[unit][store]") {
    TempDir scratch;
    const fs::path folder = scratch / "empty.corral";
    make_project(folder, 3);
    const fs::path database = folder / "project.sqlite";
    auto refused_everywhere = [&](const std::string& words) {
        const std::string before = read_file(database);
        const auto files_before = listing(folder);
        for (bool read_only : {false, true}) {
            INFO((read_only ? "open_read_only" : "open"));
            auto project = read_only ? Project::open_read_only(folder) : Project::open(folder);
            REQUIRE_FALSE(project);
            CHECK(project.error().code == ErrorCode::corrupt_data);
            CHECK_THAT(project.error().message, Catch::Contains(words) && Catch::Contains("left as it is"));
            CHECK(read_file(database) == before);
            CHECK(listing(folder) == files_before);
        }
        CHECK_FALSE(Project::open_or_create(folder));
        CHECK(read_file(database) == before);
    };
    SECTION("0 bytes") {
        write_file(database, "");
        refused_everywhere("empty, 0 bytes");
    }
    SECTION("an SQLite database without Corral's schema") {
        fs::remove(database);
        sqlite3* handle = nullptr;
        REQUIRE(sqlite3_open(database.c_str(), &handle) == SQLITE_OK);
        REQUIRE(sqlite3_exec(handle, "CREATE TABLE photos(name TEXT); INSERT INTO photos VALUES ('x')", nullptr, nullptr,
                             nullptr) == SQLITE_OK);
        sqlite3_close(handle);
        refused_everywhere("no Corral schema");
    }
    SECTION("a few bytes of something else") {
        write_file(database, "hello");
        refused_everywhere("no SQLite header");
    }
}

TEST_CASE("a project opened read-only is readable and refuses every write", "[unit][store]") {
    TempDir scratch;
    const fs::path folder = scratch / "ro.corral";
    make_project(folder, 4);
    {
        auto writer = Project::open(folder);  // a read-only open works beside the writer
        REQUIRE(writer);
        auto reader = Project::open_read_only(folder);
        REQUIRE(reader);
        CHECK((*reader)->read_only());
        CHECK((*reader)->answers()->size() == 4);
        REQUIRE((*writer)->record_answer({std::nullopt, std::nullopt, 9, {}, AnswerKind::skip, -1, 0}));
        CHECK((*reader)->answers()->size() == 5);  // it sees committed work
        const auto refused = (*reader)->record_answer({std::nullopt, std::nullopt, 1, {}, AnswerKind::skip, -1, 0});
        REQUIRE_FALSE(refused);
        CHECK(refused.error().code == ErrorCode::io_error);
        CHECK((*reader)->store_embeddings("x", FloatMatrix(2, 2, 1.0f)).error().code == ErrorCode::io_error);
        CHECK((*reader)->store_map("m", FloatMatrix(2, 2, 1.0f)).error().code == ErrorCode::io_error);
        CHECK(fs::is_empty(folder / "embeddings"));
    }
    CHECK(Project::open(folder).has_value());
}

TEST_CASE("an archived (read-only) project can be inspected and is not changed", "[unit][store]") {
    TempDir scratch;
    const fs::path folder = scratch / "archived.corral";
    make_project(folder, 6);
    const std::string database = read_file(folder / "project.sqlite");
    fs::permissions(scratch.path(), fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
    for (const auto& entry : fs::recursive_directory_iterator(folder)) {
        fs::permissions(entry.path(), fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                        fs::perm_options::remove);
    }
    fs::permissions(folder, fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                    fs::perm_options::remove);
    const auto files_before = listing(folder);
    // As root the helper becomes uid 65534, for whom the permission bits apply.
    HelperProcess reader({"inspect", folder.string(), "--as-nobody"});
    reader.wait();
    INFO(reader.output());
    REQUIRE(reader.lines().size() == 2);
    CHECK(reader.lines()[0] == "ok 6 intact");
    CHECK_THAT(reader.lines()[1], Catch::StartsWith("write-error " + std::to_string(static_cast<int>(ErrorCode::io_error))));
    CHECK(listing(folder) == files_before);  // not even a -shm or -wal file
    fs::permissions(folder, fs::perms::owner_write, fs::perm_options::add);
    CHECK(read_file(folder / "project.sqlite") == database);
}

TEST_CASE("verify_files finds damaged or missing embeddings, maps and checkpoints", "[unit][store]") {
    TempDir scratch;
    const fs::path folder = scratch / "files.corral";
    auto project = Project::create(folder);
    REQUIRE(project);
    REQUIRE((*project)->store_embeddings("pixels", FloatMatrix(10, 4, 0.5f)));
    REQUIRE((*project)->store_map("tsne", FloatMatrix(10, 2, 0.5f)));
    auto run = (*project)->begin_run(std::nullopt, "{}");
    REQUIRE(run);
    const std::string bytes(1000, 'c');
    auto checkpoint = (*project)->store_checkpoint(*run, 1, "head.pt", std::as_bytes(std::span(bytes.data(), bytes.size())));
    REQUIRE(checkpoint);
    auto clean = (*project)->verify_files();
    REQUIRE(clean);
    CHECK(clean->empty());

    const auto encoders = (*project)->encoders();
    REQUIRE(encoders->size() == 1);
    std::string damaged = read_file(folder / encoders->front().file);
    damaged[damaged.size() - 3] ^= 0x40;  // one bit in the payload
    write_file(folder / encoders->front().file, damaged);
    std::string cut = read_file(folder / checkpoint->file);
    write_file(folder / checkpoint->file, cut.substr(0, 10));
    for (const auto& entry : fs::directory_iterator(folder / "maps")) fs::remove(entry.path());

    auto problems = (*project)->verify_files();
    REQUIRE(problems);
    REQUIRE(problems->size() == 3);
    std::map<std::string, std::string> reason_of;
    for (const auto& problem : *problems) reason_of[problem.kind] = problem.reason;
    CHECK_THAT(reason_of["embeddings"], Catch::Contains("checksum"));
    CHECK_THAT(reason_of["checkpoint"], Catch::Contains("truncated"));
    CHECK(reason_of["map"] == "missing");
}
