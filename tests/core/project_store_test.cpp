// The project store's contract: what is saved comes back, resume restores where the user
// stopped, undo marks and never deletes, large files are verified before use.
#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <filesystem>

#include "corral/core/project.h"
#include "test_support.h"

namespace {

using namespace corral;
using corral::testing::TempDir;
namespace fs = std::filesystem;

std::unique_ptr<Project> make_project(const fs::path& folder) {
    auto project = Project::open_or_create(folder);
    REQUIRE(project);
    return std::move(*project);
}

ClusteringRecord three_clusters(const std::string& name, std::vector<int> assignment) {
    ClusteringRecord record;
    record.name = name;
    record.method = "kmeans";
    record.parameters_json = R"({"clusters":3,"seed":0})";
    record.encoder_id = "pixels-test";
    record.cluster_count = 3;
    record.assignment = std::move(assignment);
    return record;
}

std::string sqlite_text(const fs::path& database, const std::string& sql) {
    sqlite3* handle = nullptr;
    REQUIRE(sqlite3_open_v2(database.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    REQUIRE(sqlite3_prepare_v2(handle, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
    std::string value;
    if (sqlite3_step(statement) == SQLITE_ROW) value = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    sqlite3_finalize(statement);
    sqlite3_close(handle);
    return value;
}

}  // namespace

TEST_CASE("a new project has its folders, WAL journal and schema version", "[unit][store]") {
    TempDir scratch;
    const auto folder = scratch / "new.corral";
    {
        auto project = make_project(folder);
        CHECK(project->schema_version() == kProjectSchemaVersion);
        for (const char* sub : {"embeddings", "checkpoints", "maps"}) CHECK(fs::is_directory(folder / sub));
    }
    CHECK(sqlite_text(folder / "project.sqlite", "PRAGMA journal_mode") == "wal");
    CHECK(sqlite_text(folder / "project.sqlite", "PRAGMA user_version") == std::to_string(kProjectSchemaVersion));
    CHECK(sqlite_text(folder / "project.sqlite", "SELECT description FROM schema_migrations WHERE version = 1") ==
          "initial schema");
    CHECK_FALSE(Project::create(folder));  // exists already
    auto missing = Project::open(scratch / "absent.corral");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ErrorCode::not_found);
}

TEST_CASE("reopening restores the current clustering, the open round and where the user stopped", "[unit][store]") {
    TempDir scratch;
    const auto folder = scratch / "resume.corral";
    std::int64_t clustering_id = 0;
    std::int64_t round_id = 0;
    {
        auto project = make_project(folder);
        DatasetRecord dataset{"folder:/images", "images (6)", 0, 6, {"a", "b"}};
        std::vector<ImageRecord> images;
        for (int i = 0; i < 6; ++i) images.push_back({i, "img" + std::to_string(i) + ".png", "/images/img.png", false, 10, "crc32:0", i % 2});
        REQUIRE(project->set_dataset(dataset, images));
        auto saved = project->save_clustering(three_clusters("kmeans-3", {0, 1, 2, 0, 1, 2}));
        REQUIRE(saved);
        clustering_id = *saved;
        REQUIRE(project->set_current_clustering(clustering_id));
        REQUIRE(project->rename_cluster(clustering_id, 1, "sneakers"));
        auto round = project->start_round(clustering_id, {{4, 2.5, {1, 0, 2}, {0.9, 0.5, 0.1}}, {2, 1.5, {2, 1, 0}, {}},
                                                          {5, 0.5, {0, 2, 1}, {}}});
        REQUIRE(round);
        round_id = *round;
        REQUIRE(project->record_answer({round_id, std::nullopt, 4, {1, 0, 2}, AnswerKind::positive, 1, 900}));
        REQUIRE(project->record_answer({round_id, std::nullopt, 2, {2, 1, 0}, AnswerKind::negative, -1, 400}));
        REQUIRE(project->set_setting("view.colour_by", "cluster"));
    }
    auto project = make_project(folder);
    auto resume = project->resume_state();
    REQUIRE(resume);
    REQUIRE(resume->current_clustering_id == clustering_id);
    REQUIRE(resume->open_round);
    CHECK(resume->open_round->id == round_id);
    CHECK(resume->open_round->position == 2);  // the third sample is next
    REQUIRE(resume->open_round->samples.size() == 3);
    CHECK(resume->open_round->samples[0].candidates == std::vector<int>{1, 0, 2});
    CHECK(resume->open_round->samples[0].candidate_scores == std::vector<double>{0.9, 0.5, 0.1});
    CHECK(resume->active_answers == 2);
    auto clustering = project->clustering(clustering_id);
    REQUIRE(clustering);
    CHECK(clustering->assignment == std::vector<int>{0, 1, 2, 0, 1, 2});
    CHECK(clustering->cluster_names == std::vector<std::string>{"", "sneakers", ""});
    CHECK(clustering->parameters_json == R"({"clusters":3,"seed":0})");
    auto dataset = project->dataset();
    REQUIRE(dataset);
    REQUIRE(*dataset);
    CHECK((*dataset)->class_names == std::vector<std::string>{"a", "b"});
    CHECK(project->images()->size() == 6);
    CHECK(**project->setting("view.colour_by") == "cluster");
    CHECK_FALSE(*project->setting("absent"));

    SECTION("undo marks the answer, keeps it, and moves the round back to it") {
        auto undone = project->undo_last_answer();
        REQUIRE(undone);
        CHECK(undone->sample == 2);
        CHECK(project->answers(false)->size() == 1);
        auto all = project->answers(true);
        REQUIRE(all->size() == 2);
        CHECK(all->at(1).undone);
        CHECK(all->at(1).kind == AnswerKind::negative);
        CHECK(project->round(round_id)->position == 1);
        REQUIRE(project->undo_last_answer());
        auto nothing = project->undo_last_answer();
        REQUIRE_FALSE(nothing);
        CHECK(nothing.error().code == ErrorCode::not_found);
    }
    SECTION("saving a clustering under its name keeps its id; a new round closes the old one") {
        auto replaced = project->save_clustering(three_clusters("kmeans-3", {2, 2, 2, 0, 1, 2}));
        REQUIRE(replaced);
        CHECK(*replaced == clustering_id);
        CHECK(project->clustering_by_name("kmeans-3")->assignment[0] == 2);
        CHECK(project->clustering(clustering_id)->cluster_names[1] == "sneakers");
        auto next = project->start_round(clustering_id, {{1, 1.0, {0, 1}, {}}});
        REQUIRE(next);
        CHECK(project->round(round_id)->status == RoundStatus::closed);
        CHECK((*project->open_round())->id == *next);
        auto late = project->record_answer({round_id, std::nullopt, 5, {0}, AnswerKind::skip, -1, 0});
        REQUIRE_FALSE(late);
        CHECK(late.error().code == ErrorCode::invalid_argument);
    }
    SECTION("malformed input is refused and changes nothing") {
        CHECK_FALSE(project->save_clustering(three_clusters("short", {0, 1})));
        CHECK_FALSE(project->save_clustering(three_clusters("range", {0, 1, 2, 3, 0, 0})));
        CHECK_FALSE(project->record_answer({round_id, std::nullopt, 5, {0}, AnswerKind::positive, -1, 0}));
        CHECK_FALSE(project->rename_cluster(clustering_id, 7, "x"));
        CHECK_FALSE(project->set_current_clustering(999));
        CHECK(project->set_dataset({"folder:/other", "", 0, 0, {}}, {}).error().code == ErrorCode::invalid_argument);
        CHECK(project->answers()->size() == 2);
        CHECK(project->clusterings()->size() == 1);
    }
}

TEST_CASE("embeddings, maps and checkpoints come back only when intact", "[unit][store]") {
    TempDir scratch;
    const auto folder = scratch / "files.corral";
    auto project = make_project(folder);
    FloatMatrix features(50, 7);
    for (std::int64_t i = 0; i < 50 * 7; ++i) features.data()[i] = static_cast<float>(i) * 0.25f - 3.0f;
    REQUIRE(project->store_embeddings("pixels-28-pca64-whitened", features));
    auto loaded = project->load_embeddings("pixels-28-pca64-whitened");
    REQUIRE(loaded);
    CHECK(*loaded == features);
    CHECK(project->load_embeddings("clip-vit-b32").error().code == ErrorCode::not_found);
    auto encoders = project->encoders();
    REQUIRE(encoders->size() == 1);
    const fs::path file = folder / encoders->at(0).file;
    CHECK(file.parent_path().filename() == "embeddings");
    for (const auto& entry : fs::directory_iterator(file.parent_path())) {
        CHECK(entry.path().filename().string().find(".tmp") == std::string::npos);  // no temporary left
    }

    SECTION("a truncated embeddings file is detected, then recomputed") {
        fs::resize_file(file, fs::file_size(file) - 4);
        auto truncated = project->load_embeddings("pixels-28-pca64-whitened");
        REQUIRE_FALSE(truncated);
        CHECK(truncated.error().code == ErrorCode::corrupt_data);
        CHECK_THAT(truncated.error().message, Catch::Contains("truncated"));
        REQUIRE(project->store_embeddings("pixels-28-pca64-whitened", features));
        CHECK(*project->load_embeddings("pixels-28-pca64-whitened") == features);
    }
    SECTION("a flipped byte is detected") {
        std::string bytes = corral::testing::read_file(file);
        bytes[bytes.size() / 2] ^= 0x10;
        corral::testing::write_file(file, bytes);
        CHECK(project->load_embeddings("pixels-28-pca64-whitened").error().code == ErrorCode::corrupt_data);
    }
    SECTION("a vanished file is reported as needing recomputation") {
        fs::remove(file);
        CHECK(project->load_embeddings("pixels-28-pca64-whitened").error().code == ErrorCode::corrupt_data);
    }
    SECTION("maps and checkpoints") {
        FloatMatrix layout(50, 2, 1.5f);
        REQUIRE(project->store_map("tsne current", layout));
        CHECK(*project->load_map("tsne current") == layout);
        CHECK_FALSE(project->load_map("absent"));
        auto run = project->begin_run(std::nullopt, R"({"epochs":2})");
        REQUIRE(run);
        const std::string payload = "checkpoint bytes \x01\x02\x03";
        auto checkpoint = project->store_checkpoint(*run, 1, "head-epoch1.pt", std::as_bytes(std::span(payload)));
        REQUIRE(checkpoint);
        CHECK(checkpoint->file == "checkpoints/head-epoch1.pt");
        auto bytes = project->load_checkpoint(*checkpoint);
        REQUIRE(bytes);
        CHECK(std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size()) == payload);
        REQUIRE(project->finish_run(*run, RunStatus::finished, R"({"nmi":0.5})"));
        auto runs = project->runs();
        REQUIRE(runs->size() == 1);
        CHECK(runs->at(0).status == RunStatus::finished);
        CHECK(runs->at(0).metrics_json == R"({"nmi":0.5})");
        CHECK(project->checkpoints(*run)->size() == 1);
        fs::resize_file(folder / checkpoint->file, 3);
        CHECK(project->load_checkpoint(*checkpoint).error().code == ErrorCode::corrupt_data);
        CHECK_FALSE(project->begin_run(std::nullopt, "not json"));
    }
}
