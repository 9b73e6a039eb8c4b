// Exports never destroy anything (the project, a user's file or folder) and join cleanly with
// what the application shows: cluster numbers from 1, default names, labels, unique file names
// in folder trees, JSON that stays valid for any file name, and .npy files numpy reads as they are.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <sstream>

#include "corral/core/project.h"
#include "corral/core/project_export.h"
#include "test_support.h"

namespace {

using namespace corral;
using corral::testing::read_file;
using corral::testing::TempDir;
using corral::testing::write_file;
namespace fs = std::filesystem;

struct ExportFixture {
    TempDir scratch;
    fs::path images = scratch / "images";
    fs::path folder = scratch / "p.corral";
    std::unique_ptr<Project> project;
    std::int64_t clustering_id = 0;

    // Images whose flattened names collide (a/b_c.png and a_b/c.png), one with a name that is not
    // UTF-8, two classes from labels.
    ExportFixture() {
        const std::vector<std::string> names = {"a/b_c.png", "a_b/c.png", "a/\xff\xfe-latin1.png", "z/last.png"};
        std::vector<ImageRecord> records;
        for (std::size_t i = 0; i < names.size(); ++i) {
            const fs::path file = images / names[i];
            fs::create_directories(file.parent_path());
            write_file(file, "image " + std::to_string(i));
            records.push_back({static_cast<std::int64_t>(i), names[i], file.string(), false, 7, "crc32:0",
                               static_cast<int>(i % 2)});
        }
        auto created = Project::create(folder);
        REQUIRE(created);
        project = std::move(*created);
        REQUIRE(project->set_dataset({"folder:" + images.string(), "images", 0, 4, {"shirts", "shoes"}}, records));
        auto id = project->save_clustering({0, "k3", "kmeans", "{}", "pixels", 3, {0, 0, 2, 2}, {"", "", "Boots"}, ""});
        REQUIRE(id);
        clustering_id = *id;
        REQUIRE(project->set_current_clustering(clustering_id));
    }

    Expected<ExportReport> run(ExportFormat format, const fs::path& output, bool overwrite = false, bool copy = false) {
        ExportOptions options;
        options.format = format;
        options.output = output;
        options.overwrite = overwrite;
        options.copy_files = copy;
        return export_clustering(*project, options);
    }
};

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

}  // namespace

TEST_CASE("an export onto the project, into it, or over an existing file is refused", "[unit][export]") {
    ExportFixture fixture;
    const std::string database = read_file(fixture.folder / "project.sqlite");
    for (const fs::path& target : {fixture.folder / "project.sqlite", fixture.folder / "clusters.csv",
                                   fixture.folder / "embeddings" / "x.csv", fixture.folder}) {
        for (bool overwrite : {false, true}) {
            INFO(target << (overwrite ? " with" : " without") << " overwrite");
            auto refused = fixture.run(ExportFormat::csv, target, overwrite);
            REQUIRE_FALSE(refused);
            CHECK(refused.error().code == ErrorCode::invalid_argument);
        }
    }
    auto into_project = fixture.run(ExportFormat::csv, fixture.folder / "project.sqlite", true);
    CHECK_THAT(into_project.error().message, Catch::Contains("inside the project folder"));
    // Through a symbolic link to the project folder too.
    fs::create_directory_symlink(fixture.folder, fixture.scratch / "link");
    CHECK_FALSE(fixture.run(ExportFormat::csv, fixture.scratch / "link" / "project.sqlite", true));
    // Inside another project as well.
    REQUIRE(Project::create(fixture.scratch / "other.corral"));
    CHECK_THAT(fixture.run(ExportFormat::json, fixture.scratch / "other.corral" / "a.json").error().message,
               Catch::Contains("inside the Corral project"));
    CHECK(read_file(fixture.folder / "project.sqlite") == database);
    REQUIRE(fixture.project->check_integrity());

    const fs::path photo = fixture.scratch / "photo.jpg";
    write_file(photo, "a user's photo");
    auto kept = fixture.run(ExportFormat::csv, photo);
    REQUIRE_FALSE(kept);
    CHECK_THAT(kept.error().message, Catch::Contains("exists") && Catch::Contains("--force"));
    CHECK(read_file(photo) == "a user's photo");
    REQUIRE(fixture.run(ExportFormat::csv, photo, true));  // the user confirmed
    CHECK_THAT(read_file(photo), Catch::StartsWith("path,cluster"));

    // A missing folder is named as such, never the temporary file the export writes first.
    auto missing = fixture.run(ExportFormat::csv, fixture.scratch / "no" / "such" / "out.csv");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ErrorCode::not_found);
    CHECK_THAT(missing.error().message, Catch::Contains((fixture.scratch / "no" / "such").string() + " does not exist"));
    CHECK_THAT(missing.error().message, !Catch::Contains(".tmp-"));
}

TEST_CASE("CSV and JSON exports number clusters as the application, name them and carry labels", "[unit][export]") {
    ExportFixture fixture;
    REQUIRE(fixture.project->record_answer({std::nullopt, fixture.clustering_id, 3, {}, AnswerKind::manual_move, 1, 0}));
    REQUIRE(fixture.run(ExportFormat::csv, fixture.scratch / "out.csv"));
    const auto csv = lines_of(read_file(fixture.scratch / "out.csv"));
    REQUIRE(csv.size() == 5);
    CHECK(csv[0] == "path,cluster,cluster_name,answered,label");
    CHECK(csv[1] == (fixture.images / "a/b_c.png").string() + ",1,Cluster 1,0,shirts");
    CHECK(csv[3] == (fixture.images / "a/\xff\xfe-latin1.png").string() + ",3,Boots,0,shirts");
    CHECK(csv[4] == (fixture.images / "z/last.png").string() + ",2,Cluster 2,1,shoes");  // moved by hand

    REQUIRE(fixture.run(ExportFormat::json, fixture.scratch / "out.json"));
    // Valid JSON (strict UTF-8) although one file name is not UTF-8; its exact bytes are given in hex.
    const auto json = nlohmann::json::parse(read_file(fixture.scratch / "out.json"));
    REQUIRE(json["images"].size() == 4);
    CHECK(json["images"][0]["cluster"] == 1);
    CHECK(json["images"][0]["cluster_name"] == "Cluster 1");
    CHECK(json["images"][0]["label"] == "shirts");
    CHECK(json["images"][3]["cluster"] == 2);
    const auto& latin = json["images"][2];
    CHECK(latin["cluster"] == 3);
    CHECK(latin["cluster_name"] == "Boots");
    const std::string exact = (fixture.images / "a/\xff\xfe-latin1.png").string();
    std::string hex;
    for (unsigned char c : exact) {
        char pair[3];
        std::snprintf(pair, sizeof pair, "%02x", c);
        hex += pair;
    }
    CHECK(latin["path_bytes_hex"] == hex);
    CHECK_FALSE(json["images"][0].contains("path_bytes_hex"));
    REQUIRE(json["clusters"].size() == 3);
    CHECK(json["clusters"][0] == nlohmann::json{{"cluster", 1}, {"name", "Cluster 1"}, {"named", false}, {"size", 2}});
    CHECK(json["clusters"][1]["size"] == 1);  // the image moved there by hand
    CHECK(json["clusters"][2] == nlohmann::json{{"cluster", 3}, {"name", "Boots"}, {"named", true}, {"size", 1}});
}

TEST_CASE("a folder export creates its folder, keeps colliding names apart and offers copies", "[unit][export]") {
    ExportFixture fixture;
    const fs::path tree = fixture.scratch / "new" / "nested" / "tree";
    auto report = fixture.run(ExportFormat::folder, tree);
    REQUIRE(report);
    CHECK(report->images_written == 4);
    CHECK(report->skipped.empty());
    // "a/b_c.png" and "a_b/c.png" both flatten to "a_b_c.png": neither is lost.
    CHECK(fs::is_symlink(tree / "001_Cluster 1" / "a_b_c.png"));
    CHECK(fs::is_symlink(tree / "001_Cluster 1" / "a_b_c~2.png"));
    CHECK(fs::read_symlink(tree / "001_Cluster 1" / "a_b_c~2.png") == fixture.images / "a_b/c.png");
    CHECK(fs::is_symlink(tree / "003_Boots" / "a_\xff\xfe-latin1.png"));
    CHECK(fs::exists(tree / ".corral-export"));

    // A folder with other things in it is not touched, even when replacing was confirmed.
    const fs::path mine = fixture.scratch / "mine";
    fs::create_directory(mine);
    write_file(mine / "keep.txt", "mine");
    CHECK_THAT(fixture.run(ExportFormat::folder, mine).error().message, Catch::Contains("not empty"));
    CHECK_THAT(fixture.run(ExportFormat::folder, mine, true).error().message, Catch::Contains("not an earlier Corral export"));
    CHECK(read_file(mine / "keep.txt") == "mine");

    // An earlier export is replaced when confirmed, here by copies.
    CHECK_FALSE(fixture.run(ExportFormat::folder, tree, false, true));
    REQUIRE(fixture.run(ExportFormat::folder, tree, true, true));
    CHECK(fs::is_regular_file(fs::symlink_status(tree / "001_Cluster 1" / "a_b_c~2.png")));
    CHECK(read_file(tree / "001_Cluster 1" / "a_b_c~2.png") == "image 1");
    for (const auto& entry : fs::directory_iterator(fixture.scratch / "new" / "nested")) {
        CHECK(entry.path().filename() == "tree");  // no partial or previous trees left beside it
    }
}

TEST_CASE("embeddings, map and value scores export as .npy that numpy loads, and as CSV", "[unit][export][oracle]") {
    ExportFixture fixture;
    FloatMatrix features(4, 3);
    for (std::int64_t i = 0; i < 12; ++i) features.values()[static_cast<std::size_t>(i)] = 0.25f * static_cast<float>(i) - 1.0f;
    REQUIRE(fixture.project->store_embeddings("pixels", features));
    FloatMatrix layout(4, 2);
    for (std::int64_t i = 0; i < 8; ++i) layout.values()[static_cast<std::size_t>(i)] = static_cast<float>(i) * 1.5f;
    REQUIRE(fixture.project->store_map("tsne", layout));
    REQUIRE(fixture.project->start_round(fixture.clustering_id, {{2, 0.75, {0, 1}, {}}, {0, 0.5, {1, 2}, {}}}));

    auto npy = [&](ArrayContent content, const std::string& name) {
        ArrayExportOptions options;
        options.content = content;
        options.output = fixture.scratch / name;
        auto report = export_array(*fixture.project, options);
        REQUIRE(report);
        return testing::run_python_oracle("npy_oracle.py", {options.output.string()});
    };
    CHECK(npy(ArrayContent::embeddings, "e.npy") ==
          "<f4 4 3\n-1.0 -0.75 -0.5 -0.25 0.0 0.25 0.5 0.75 1.0 1.25 1.5 1.75\n");
    CHECK(npy(ArrayContent::map, "m.npy") == "<f4 4 2\n0.0 1.5 3.0 4.5 6.0 7.5 9.0 10.5\n");
    CHECK(npy(ArrayContent::values, "v.npy") == "<f8 2 4\n1.0 0.0 2.0 0.75 1.0 1.0 0.0 0.5\n");

    ArrayExportOptions csv;
    csv.content = ArrayContent::map;
    csv.format = ExportFormat::csv;
    csv.output = fixture.scratch / "m.csv";
    REQUIRE(export_array(*fixture.project, csv));
    const auto map_lines = lines_of(read_file(csv.output));
    CHECK(map_lines[0] == "index,path,x,y");
    CHECK(map_lines[1] == "0," + (fixture.images / "a/b_c.png").string() + ",0,1.5");
    csv.content = ArrayContent::values;
    csv.output = fixture.scratch / "v.csv";
    REQUIRE(export_array(*fixture.project, csv));
    CHECK(lines_of(read_file(csv.output))[1] == "1,0,2," + (fixture.images / "a/\xff\xfe-latin1.png").string() + ",0.75");
    // The same refusals as for clusterings.
    csv.output = fixture.folder / "project.sqlite";
    CHECK_FALSE(export_array(*fixture.project, csv));
    csv.output = fixture.scratch / "v.csv";
    CHECK_THAT(export_array(*fixture.project, csv).error().message, Catch::Contains("exists"));
}
