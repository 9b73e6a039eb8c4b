// Bad input must give a clear error and leave the project intact: vanished or unreadable
// images, a read-only project folder, a full disk, a second process, a damaged database.
#include <catch2/catch.hpp>
#include <sqlite3.h>
#include <unistd.h>

#include <opencv2/imgcodecs.hpp>
#include <sstream>

#include "corral/core/project.h"
#include "corral/core/project_export.h"
#include "project_helper_process.h"
#include "test_support.h"

namespace {

using namespace corral;
using corral::testing::HelperProcess;
using corral::testing::TempDir;
namespace fs = std::filesystem;

// A project with `answers` recorded answers, closed again.
void make_project(const fs::path& folder, int answers) {
    auto project = Project::create(folder);
    REQUIRE(project);
    for (int i = 0; i < answers; ++i) {
        REQUIRE((*project)->record_answer({std::nullopt, std::nullopt, i, std::vector<int>(40, i), AnswerKind::manual_move, 1, 0}));
    }
}

std::int64_t count_answers(const fs::path& folder) {
    auto project = Project::open(folder);
    REQUIRE(project);
    REQUIRE((*project)->check_integrity());
    return static_cast<std::int64_t>((*project)->answers()->size());
}

// "error CODE message" from the helper -> (code, message).
std::pair<int, std::string> helper_error(const std::string& line) {
    std::istringstream in(line);
    std::string tag;
    int code = -1;
    in >> tag >> code;
    std::string message;
    std::getline(in, message);
    return {code, message};
}

void write_png(const fs::path& path, int value) {
    cv::Mat image(8, 8, CV_8UC3, cv::Scalar(value, 255 - value, value / 2));
    REQUIRE(cv::imwrite(path.string(), image));
}

}  // namespace

TEST_CASE("vanished, unreadable and changed image files are reported, not fatal", "[unit][store]") {
    TempDir scratch;
    const fs::path images = scratch / "images";
    int value = 10;  // a different image each: identical files would count once
    for (const char* cls : {"cats", "dogs"}) {
        fs::create_directories(images / cls);
        for (int i = 0; i < 3; ++i, value += 40) write_png(images / cls / ("img" + std::to_string(i) + ".png"), value);
    }
    auto dataset = open_dataset("folder:" + images.string());
    REQUIRE(dataset);
    auto records = describe_images(**dataset);
    REQUIRE(records);
    REQUIRE(records->size() == 6);
    CHECK(records->at(0).content_hash.rfind("crc32:", 0) == 0);
    const fs::path folder = scratch / "pets.corral";
    {
        auto project = Project::create(folder);
        REQUIRE(project);
        REQUIRE((*project)->set_dataset({"folder:" + images.string(), (*dataset)->description(), 0, 6,
                                         (*dataset)->class_names()}, *records));
        ClusteringRecord clustering{0, "two", "kmeans", "{}", "pixels", 2, {0, 0, 0, 1, 1, 1}, {"cats", "dogs"}, ""};
        auto id = (*project)->save_clustering(clustering);
        REQUIRE(id);
        REQUIRE((*project)->set_current_clustering(*id));
        REQUIRE((*project)->record_answer({std::nullopt, *id, 2, {0, 1}, AnswerKind::manual_move, 1, 0}));
        auto clean = (*project)->verify_images(true);
        REQUIRE(clean);
        CHECK(clean->empty());
    }
    fs::remove(records->at(0).file);                      // vanished
    fs::remove(records->at(1).file);
    fs::create_directory(records->at(1).file);            // unreadable (a folder in its place)
    corral::testing::write_file(records->at(3).file, "not the same image any more");  // changed

    auto project = Project::open(folder);
    REQUIRE(project);
    auto problems = (*project)->verify_images(true);
    REQUIRE(problems);
    REQUIRE(problems->size() == 3);
    CHECK(problems->at(0).index == 0);
    CHECK(problems->at(0).reason == "vanished");
    CHECK_THAT(problems->at(1).reason, Catch::StartsWith("unreadable"));
    CHECK_THAT(problems->at(2).reason, Catch::StartsWith("changed"));

    ExportOptions options;
    options.format = ExportFormat::folder;
    options.output = scratch / "export";
    auto report = export_clustering(**project, options);
    REQUIRE(report);
    CHECK(report->images_written == 4);  // the changed file is still a file; it is exported
    REQUIRE(report->skipped.size() == 2);
    CHECK(report->skipped[0].reason == "vanished");
    // The answer moved image 2 into stored cluster 1, "dogs", which the application shows as Cluster 2.
    CHECK(fs::is_symlink(scratch / "export" / "002_dogs" / "cats_img2.png"));
    CHECK(fs::is_symlink(scratch / "export" / "002_dogs" / "dogs_img2.png"));
    CHECK_FALSE(fs::exists(scratch / "export" / "001_cats" / "cats_img2.png"));
    CHECK((*project)->answers()->size() == 1);
    CHECK((*project)->check_integrity());
}

TEST_CASE("exports write CSV and JSON with cluster names and answered marks", "[unit][store]") {
    TempDir scratch;
    const fs::path folder = scratch / "export.corral";
    auto project = Project::create(folder);
    REQUIRE(project);
    std::vector<ImageRecord> images;
    for (int i = 0; i < 4; ++i) images.push_back({i, "f,ile" + std::to_string(i), "/data/f" + std::to_string(i) + ".png", false, 1, "crc32:0", -1});
    REQUIRE((*project)->set_dataset({"folder:/data", "data", 0, 4, {}}, images));
    auto id = (*project)->save_clustering({0, "k2", "kmeans", "{}", "pixels", 2, {0, 1, 1, 0}, {"coats", ""}, ""});
    REQUIRE(id);
    REQUIRE((*project)->record_answer({std::nullopt, *id, 1, {0, 1}, AnswerKind::positive, 0, 0}));
    REQUIRE((*project)->record_answer({std::nullopt, *id, 3, {0, 1}, AnswerKind::negative, -1, 0}));
    ExportOptions options;
    options.clustering_name = "k2";
    options.output = scratch / "out.csv";
    auto report = export_clustering(**project, options);
    REQUIRE(report);
    CHECK(report->answered == 2);
    // Clusters numbered as the application shows them; the unnamed one named as it shows it.
    CHECK(corral::testing::read_file(scratch / "out.csv") ==
          "path,cluster,cluster_name,answered\n/data/f0.png,1,coats,0\n/data/f1.png,1,coats,1\n"
          "/data/f2.png,2,Cluster 2,0\n/data/f3.png,1,coats,1\n");
    options.format = ExportFormat::json;
    options.output = scratch / "out.json";
    REQUIRE(export_clustering(**project, options));
    const std::string json = corral::testing::read_file(scratch / "out.json");
    CHECK_THAT(json, Catch::Contains("\"cluster_name\": \"coats\""));
    CHECK_THAT(json, Catch::Contains("\"size\": 3"));
    options.clustering_name = "absent";
    options.output = scratch / "absent.json";
    CHECK(export_clustering(**project, options).error().code == ErrorCode::not_found);
    CHECK(parse_export_format("xml").error().code == ErrorCode::invalid_argument);
}

TEST_CASE("a second process opening the project gets a clear message", "[unit][store]") {
    TempDir scratch;
    const fs::path folder = scratch / "shared.corral";
    make_project(folder, 3);
    {
        auto holder = Project::open(folder);
        REQUIRE(holder);
        auto twice = Project::open(folder);  // a second Project in this process conflicts too
        REQUIRE_FALSE(twice);
        CHECK(twice.error().code == ErrorCode::busy);
        HelperProcess other({"open", folder.string()});
        other.wait();
        REQUIRE(other.lines().size() == 1);
        auto [code, message] = helper_error(other.lines()[0]);
        CHECK(code == static_cast<int>(ErrorCode::busy));
        CHECK_THAT(message, Catch::Contains("already open in another Corral (process " + std::to_string(::getpid())));
    }
    HelperProcess holder({"hold", folder.string()});
    for (int i = 0; i < 100 && holder.lines().empty(); ++i) holder.read_available(100);
    REQUIRE(holder.lines() == std::vector<std::string>{"ok"});
    auto blocked = Project::open(folder);
    REQUIRE_FALSE(blocked);
    CHECK(blocked.error().code == ErrorCode::busy);
    holder.kill_now();  // a crashed holder releases the lock
    holder.wait();
    CHECK(count_answers(folder) == 3);
}

TEST_CASE("a read-only project folder is refused clearly and left intact", "[unit][store]") {
    TempDir scratch;
    const fs::path folder = scratch / "readonly.corral";
    make_project(folder, 5);
    const std::string before = corral::testing::read_file(folder / "project.sqlite");
    // Traversable by the unprivileged user the helper becomes when this runs as root.
    fs::permissions(scratch.path(), fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
    for (const auto& entry : fs::recursive_directory_iterator(folder)) {
        fs::permissions(entry.path(), fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                        fs::perm_options::remove);
    }
    fs::permissions(folder, fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                    fs::perm_options::remove);
    HelperProcess other({"open", folder.string(), "--as-nobody"});
    other.wait();
    REQUIRE(other.lines().size() == 1);
    auto [code, message] = helper_error(other.lines()[0]);
    CHECK(code == static_cast<int>(ErrorCode::io_error));
    CHECK_THAT(message, Catch::Contains("read-only"));
    fs::permissions(folder, fs::perms::owner_write, fs::perm_options::add);
    for (const auto& entry : fs::recursive_directory_iterator(folder)) {
        fs::permissions(entry.path(), fs::perms::owner_write, fs::perm_options::add);
    }
    CHECK(corral::testing::read_file(folder / "project.sqlite") == before);
    CHECK(count_answers(folder) == 5);
}

TEST_CASE("a full disk fails the write that overflows, and only that one", "[unit][store]") {
    TempDir scratch;
    const fs::path folder = scratch / "full.corral";
    make_project(folder, 20);
    {
        auto project = Project::open(folder);
        REQUIRE(project);
        REQUIRE((*project)->store_embeddings("big", FloatMatrix(10, 4, 2.0f)));
    }
    // The helper limits its file size (RLIMIT_FSIZE): writes past the limit fail as on a full disk.
    const auto limit = fs::file_size(folder / "project.sqlite") + 96 * 1024;
    HelperProcess filler({"fill", folder.string(), std::to_string(limit)});
    filler.wait();
    std::vector<std::int64_t> acknowledged;
    std::string answer_error;
    std::string embeddings_error;
    for (const auto& line : filler.lines()) {
        if (line.rfind("A ", 0) == 0) acknowledged.push_back(std::stoll(line.substr(2)));
        if (line.rfind("answer-error", 0) == 0) answer_error = line;
        if (line.rfind("embeddings-error", 0) == 0) embeddings_error = line;
    }
    INFO(filler.output().substr(filler.output().size() > 2000 ? filler.output().size() - 2000 : 0));
    CHECK(acknowledged.size() > 10);
    REQUIRE_FALSE(answer_error.empty());
    CHECK(helper_error(answer_error).first == static_cast<int>(ErrorCode::disk_full));
    CHECK_THAT(answer_error, Catch::Contains("disk is full"));
    REQUIRE_FALSE(embeddings_error.empty());
    CHECK(helper_error(embeddings_error).first == static_cast<int>(ErrorCode::disk_full));

    auto project = Project::open(folder);
    REQUIRE(project);
    REQUIRE((*project)->check_integrity());
    auto answers = (*project)->answers();
    REQUIRE(answers);
    std::set<std::int64_t> stored;
    for (const auto& answer : *answers) stored.insert(answer.id);
    for (auto id : acknowledged) CHECK(stored.count(id) == 1);
    CHECK(answers->size() >= 20 + acknowledged.size());
    auto old_embeddings = (*project)->load_embeddings("big");  // the failed write replaced nothing
    REQUIRE(old_embeddings);
    CHECK(old_embeddings->rows() == 10);
    for (const auto& entry : fs::directory_iterator(folder / "embeddings")) {
        CHECK(entry.path().filename().string().find(".tmp") == std::string::npos);
    }
    CHECK((*project)->record_answer({std::nullopt, std::nullopt, 1, {}, AnswerKind::skip, -1, 0}));
}

TEST_CASE("a damaged or newer database is refused and not touched", "[unit][store]") {
    TempDir scratch;
    const fs::path folder = scratch / "damaged.corral";
    make_project(folder, 400);
    const fs::path database = folder / "project.sqlite";
    const std::string original = corral::testing::read_file(database);
    REQUIRE(original.size() > 5 * 4096);
    auto refused = [&](const std::string& content, ErrorCode expected, const std::string& words) {
        corral::testing::write_file(database, content);
        auto project = Project::open(folder);
        REQUIRE_FALSE(project);
        CHECK(project.error().code == expected);
        CHECK_THAT(project.error().message, Catch::Contains(words));
        CHECK(corral::testing::read_file(database) == content);
    };
    SECTION("not a database at all") {
        refused(std::string(original.size(), 'x'), ErrorCode::corrupt_data, "damaged or not a Corral project");
    }
    SECTION("garbage over pages in the middle") {
        std::string damaged = original;
        for (std::size_t i = 2 * 4096; i < 4 * 4096; ++i) damaged[i] = static_cast<char>(i * 131 % 251);
        refused(damaged, ErrorCode::corrupt_data, "damaged");
    }
    SECTION("cut short") {
        refused(original.substr(0, original.size() / 2), ErrorCode::corrupt_data, "damaged");
    }
    SECTION("written by a newer Corral") {
        sqlite3* handle = nullptr;
        REQUIRE(sqlite3_open(database.c_str(), &handle) == SQLITE_OK);
        REQUIRE(sqlite3_exec(handle, "PRAGMA user_version = 99", nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(handle);
        const std::string newer = corral::testing::read_file(database);
        refused(newer, ErrorCode::version_too_new, "newer Corral (schema version 99");
    }
    corral::testing::write_file(database, original);
    CHECK(count_answers(folder) == 400);
}
