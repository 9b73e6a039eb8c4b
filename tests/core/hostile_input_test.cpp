// The hostile user, through the real corral-cli binary: each case builds its own input
// (colliding and non-UTF-8 file names, wrong CLIP configs, NaN weights, an export aimed at
// project.sqlite, an empty database, an archived read-only project, bad numbers on the command
// line, unreadable folders, huge pixel encodings) and must end with a clear message (no crash,
// no "internal error", no backtrace) and the project intact.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "corral/core/project.h"
#include "test_support.h"
#include "tiny_clip_training.h"

extern char** environ;

namespace {

using namespace corral;
using corral::testing::read_file;
using corral::testing::TempDir;
using corral::testing::write_file;
namespace fs = std::filesystem;

struct CliRun {
    int exit_code = -1;
    std::string out;
    std::string err;
    long max_rss_mb = 0;
};

// Runs corral-cli (or `binary`) with `arguments`; with `as_nobody` and when this runs as root,
// as uid 65534 so that permission bits apply (setpriv execs it: the rusage is the CLI's own).
CliRun run_cli(const std::vector<std::string>& arguments, bool as_nobody = false, const std::string& binary = CORRAL_CLI) {
    TempDir outputs;
    fs::permissions(outputs.path(), fs::perms::all);  // writable by nobody too
    std::vector<std::string> argv;
    if (as_nobody && ::geteuid() == 0) argv = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
    argv.push_back(binary);
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    std::vector<char*> pointers;
    for (auto& argument : argv) pointers.push_back(argument.data());
    pointers.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string out_path = (outputs / "out").string();
    const std::string err_path = (outputs / "err").string();
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    pid_t pid = 0;
    const int failed = posix_spawn(&pid, pointers[0], &actions, nullptr, pointers.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(failed == 0);
    int status = 0;
    rusage usage{};
    REQUIRE(::wait4(pid, &status, 0, &usage) == pid);
    CliRun run;
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    run.out = read_file(out_path);
    run.err = read_file(err_path);
    run.max_rss_mb = usage.ru_maxrss / 1024;
    return run;
}

// A failure a person can act on: corral-cli's own message, not a crash or a C++ backtrace.
void check_clear_failure(const CliRun& run, int expected_exit, const std::string& words) {
    INFO("stdout: " << run.out << "\nstderr: " << run.err);
    CHECK(run.exit_code == expected_exit);
    CHECK_THAT(run.err, Catch::Contains("corral-cli: ") && Catch::Contains(words));
    CHECK_THAT(run.err, !Catch::Contains("internal error") && !Catch::Contains("Exception raised from") &&
                            !Catch::Contains("what()"));
}

void write_png(const fs::path& path, int seed) {
    fs::create_directories(path.parent_path());
    std::mt19937 random(static_cast<unsigned>(seed));
    cv::Mat image(12, 12, CV_8UC3);
    cv::randu(image, cv::Scalar(0, 0, 0), cv::Scalar(255, 255, 255));
    image += cv::Scalar(seed % 2 ? 120 : 0, 0, seed % 2 ? 0 : 120);
    REQUIRE(cv::imwrite(path.string(), image));
}

std::vector<std::string> words(std::initializer_list<std::string> list) { return list; }

// A project made by the CLI itself from `images`, with `answers` manual moves recorded.
void make_project(const fs::path& images, const fs::path& project, int answers) {
    const auto made = run_cli({"cluster", "--data", "folder:" + images.string(), "--encoder", "pixels", "--clusters", "2",
                               "--project", project.string()});
    INFO(made.err);
    REQUIRE(made.exit_code == 0);
    auto opened = Project::open(project);
    REQUIRE(opened);
    auto current = (*opened)->current_clustering_id();
    REQUIRE(current);
    for (int i = 0; i < answers; ++i) {
        REQUIRE((*opened)->record_answer({std::nullopt, **current, i, {}, AnswerKind::manual_move, i % 2, 0}));
    }
}

// The project opens, passes integrity_check and holds `answers` active answers.
void check_intact(const fs::path& project, std::size_t answers) {
    auto opened = Project::open_read_only(project);
    REQUIRE(opened);
    CHECK((*opened)->check_integrity());
    CHECK((*opened)->answers()->size() == answers);
    auto dataset = (*opened)->dataset();
    REQUIRE(dataset);
    CHECK(dataset->has_value());
}

}  // namespace

TEST_CASE("hostile: colliding and non-UTF-8 file names", "[slow][hostile]") {
    TempDir scratch;
    const fs::path images = scratch / "images";
    write_png(images / "a" / "b_c.png", 1);      // flattens to a_b_c.png ...
    write_png(images / "a_b" / "c.png", 2);      // ... and so does this one
    write_png(images / "\xe9t\xe9" / "plage.png", 3);  // a Latin-1 folder name ("été"), not UTF-8
    write_png(images / "\xe9t\xe9" / "\xff.png", 4);
    for (int i = 0; i < 6; ++i) write_png(images / "a" / ("more" + std::to_string(i) + ".png"), 10 + i);
    const fs::path project = scratch / "names.corral";
    make_project(images, project, 2);  // a class folder with such bytes used to leave a project without a dataset
    check_intact(project, 2);

    const auto tree = run_cli({"export", "--project", project.string(), "--format", "folder", "--copy", "--out",
                               (scratch / "out" / "tree").string()});
    INFO(tree.err);
    CHECK(tree.exit_code == 0);
    CHECK_THAT(tree.out, Catch::Contains("10 images (2 answered, 0 skipped)"));
    std::size_t files = 0;
    for (const auto& entry : fs::recursive_directory_iterator(scratch / "out" / "tree")) {
        files += entry.is_regular_file() && entry.path().filename() != ".corral-export" ? 1 : 0;
    }
    CHECK(files == 10);  // none lost to a flattened-name collision

    const auto json = run_cli({"export", "--project", project.string(), "--format", "json", "--out", (scratch / "c.json").string()});
    CHECK(json.exit_code == 0);
    const auto document = nlohmann::json::parse(read_file(scratch / "c.json"), nullptr, false);
    REQUIRE_FALSE(document.is_discarded());  // strict UTF-8 JSON
    CHECK(document["images"].size() == 10);
    const auto info = run_cli({"info", "--project", project.string(), "--json"});
    CHECK(info.exit_code == 0);
    CHECK_FALSE(nlohmann::json::parse(info.out, nullptr, false).is_discarded());

    // search --json over the same names, with a (tiny, untrained) CLIP model.
    const auto shapes = testing::render_colored_shapes(scratch / "shapes", 1, 3);
    testing::train_tiny_clip(shapes, scratch / "clip", 0, 3);
    const auto search = run_cli({"search", "--data", "folder:" + images.string(), "--encoder",
                                 "clip:" + (scratch / "clip").string(), "--text", "a red circle", "--json"});
    INFO(search.err);
    CHECK(search.exit_code == 0);
    const auto results = nlohmann::json::parse(search.out, nullptr, false);
    REQUIRE_FALSE(results.is_discarded());
    CHECK(results["results"].size() == 10);
    check_intact(project, 2);
}

TEST_CASE("hostile: wrong CLIP configs and NaN weights", "[slow][hostile]") {
    TempDir scratch;
    const fs::path images = scratch / "images";
    for (int i = 0; i < 4; ++i) write_png(images / ("x" + std::to_string(i) + ".png"), i);
    const auto shapes = testing::render_colored_shapes(scratch / "shapes", 1, 3);
    const fs::path model = scratch / "clip";
    testing::train_tiny_clip(shapes, model, 0, 3);
    const std::string config_text = read_file(model / "config.json");
    const std::string weights = read_file(model / "model.safetensors");
    auto search = [&] {
        return run_cli({"search", "--data", "folder:" + images.string(), "--encoder", "clip:" + model.string(), "--text",
                        "a red circle"});
    };
    auto with_config = [&](const std::function<void(nlohmann::json&)>& change) {
        auto config = nlohmann::json::parse(config_text);
        change(config);
        write_file(model / "config.json", config.dump());
    };
    with_config([](nlohmann::json& c) { c["text_config"]["num_hidden_layers"] = 1000000000; });
    auto run = search();
    check_clear_failure(run, 1, "config.json text_config: num_hidden_layers 1000000000 is out of range");
    CHECK(run.max_rss_mb < 1500);

    with_config([](nlohmann::json& c) { c["vision_config"]["hidden_size"] = 99999999999999999; });
    check_clear_failure(search(), 1, "hidden_size");

    // Realistic widths that these weights do not have: refused before the model is built.
    with_config([](nlohmann::json& c) {
        c["vision_config"]["hidden_size"] = 4096;
        c["vision_config"]["intermediate_size"] = 16384;
        c["vision_config"]["num_attention_heads"] = 32;
    });
    run = search();
    check_clear_failure(run, 1, "config.json implies");
    CHECK(run.max_rss_mb < 1500);  // the wrong model would need gigabytes

    write_file(model / "config.json", config_text);
    // NaN in the weights: refused, instead of `nan` scores and exit 0.
    std::string poisoned = weights;
    const std::uint64_t header = *reinterpret_cast<const std::uint64_t*>(poisoned.data());
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (std::size_t at = 8 + header; at + 4 <= poisoned.size(); at += 4096) std::memcpy(poisoned.data() + at, &nan, 4);
    write_file(model / "model.safetensors", poisoned);
    check_clear_failure(search(), 1, "holds NaN or infinite values");

    write_file(model / "model.safetensors", weights);
    run = search();
    INFO(run.err);
    CHECK(run.exit_code == 0);
    CHECK_THAT(run.out, !Catch::Contains("nan"));
}

TEST_CASE("hostile: exports aimed at the database, an empty database, a read-only project", "[slow][hostile]") {
    TempDir scratch;
    const fs::path images = scratch / "images";
    for (int i = 0; i < 8; ++i) write_png(images / (i < 4 ? "cats" : "dogs") / (std::to_string(i) + ".png"), i);
    const fs::path project = scratch / "pets.corral";
    make_project(images, project, 3);
    const fs::path database = project / "project.sqlite";
    const std::string before = read_file(database);

    for (const std::string& format : {"csv", "json", "folder"}) {
        for (const bool force : {false, true}) {
            std::vector<std::string> arguments = {"export", "--project", project.string(), "--format", format, "--out",
                                                  database.string()};
            if (force) arguments.push_back("--force");
            check_clear_failure(run_cli(arguments), 2, "inside the project folder");
        }
    }
    check_clear_failure(run_cli(words({"export", "--project", project.string(), "--what", "embeddings", "--out",
                                       (project / "embeddings").string(), "--force"})),
                        2, "inside the project folder");
    CHECK(read_file(database) == before);
    check_intact(project, 3);

    // An archived project: read-only for its owner. info and export only read, so they work.
    fs::permissions(scratch.path(), fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
    fs::permissions(images, fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec);
    for (const auto& entry : fs::recursive_directory_iterator(project)) {
        fs::permissions(entry.path(), fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                        fs::perm_options::remove);
        fs::permissions(entry.path(), fs::perms::others_read, fs::perm_options::add);
    }
    fs::permissions(project, fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                    fs::perm_options::remove);
    fs::permissions(project, fs::perms::others_read | fs::perms::others_exec, fs::perm_options::add);
    const fs::path outputs = scratch / "outputs";
    fs::create_directory(outputs);
    fs::permissions(outputs, fs::perms::all);
    auto info = run_cli({"info", "--project", project.string()}, true);
    INFO(info.err);
    CHECK(info.exit_code == 0);
    CHECK_THAT(info.out, Catch::Contains("answers   3 active"));
    auto exported = run_cli({"export", "--project", project.string(), "--out", (outputs / "c.csv").string()}, true);
    INFO(exported.err);
    CHECK(exported.exit_code == 0);
    CHECK_THAT(read_file(outputs / "c.csv"), Catch::StartsWith("path,cluster,cluster_name,answered,label\n"));
    fs::permissions(project, fs::perms::owner_write, fs::perm_options::add);
    CHECK(read_file(database) == before);
    CHECK_FALSE(fs::exists(project.string() + "/project.sqlite-shm"));

    // An empty database (a disk that lost it): refused by the read-only commands too, untouched.
    const fs::path empty = scratch / "empty.corral";
    fs::create_directories(empty);
    write_file(empty / "project.sqlite", "");
    check_clear_failure(run_cli(words({"info", "--project", empty.string()})), 1, "empty, 0 bytes");
    check_clear_failure(run_cli(words({"export", "--project", empty.string(), "--out", (scratch / "e.csv").string()})), 1,
                        "empty, 0 bytes");
    check_clear_failure(run_cli(words({"cluster", "--data", "folder:" + images.string(), "--project", empty.string()})), 1,
                        "empty, 0 bytes");
    CHECK(fs::file_size(empty / "project.sqlite") == 0);
    CHECK_FALSE(fs::exists(scratch / "e.csv"));
}

TEST_CASE("hostile: bad numbers on the command line are refused with exit code 2", "[slow][hostile]") {
    TempDir scratch;
    const fs::path images = scratch / "images";
    for (int i = 0; i < 6; ++i) write_png(images / ("i" + std::to_string(i) + ".png"), i);
    const std::string data = "folder:" + images.string();
    struct Case {
        std::vector<std::string> arguments;
        std::string words;
    };
    const std::vector<Case> cases = {
        {{"cluster", "--data", data, "--limit", "-5"}, "--limit -5 is out of range (at least 0)"},
        {{"cluster", "--data", data, "--threads", "-1"}, "--threads -1 is out of range"},
        {{"cluster", "--data", data, "--threads", "0"}, "--threads 0 is out of range"},
        {{"cluster", "--data", data, "--restarts", "-2"}, "--restarts -2 is out of range"},
        {{"cluster", "--data", data, "--clusters", "0"}, "--clusters 0 is out of range"},
        {{"cluster", "--data", data, "--clusters", "99999999999999999999"}, "out of range"},
        {{"cluster", "--data", data, "--seed", "-1"}, "--seed -1 is out of range"},
        {{"cluster", "--data", data, "--clusters", "3x"}, "--clusters needs an integer, not '3x'"},
        {{"map", "--data", data, "--out", (scratch / "m.csv").string(), "--perplexity", "nan"},
         "--perplexity needs a finite number, not 'nan'"},
        {{"map", "--data", data, "--out", (scratch / "m.csv").string(), "--iterations", "-1"}, "--iterations -1"},
        {{"search", "--data", data, "--encoder", "clip:/none", "--text", "x", "--top", "0"}, "--top 0 is out of range"},
        {{"multisub", "--data", data, "--encoder", "clip:/none", "--aspect", "color", "--latent-lr", "inf"},
         "--latent-lr needs a finite number, not 'inf'"},
        {{"pretrain", "--data", data, "--out", (scratch / "m").string(), "--lr", "-0.1"}, "--lr -0.1 is out of range"},
        {{"pretrain", "--data", data, "--out", (scratch / "m").string(), "--widths", "32,-4"}, "--widths"},
    };
    for (const auto& bad : cases) {
        INFO(bad.arguments[0] << " " << bad.arguments.back());
        check_clear_failure(run_cli(bad.arguments), 2, bad.words);
    }
    CHECK_FALSE(fs::exists(scratch / "m.csv"));

    // Too many threads: capped to the processors, with a note; the command still runs.
    auto capped = run_cli({"cluster", "--data", data, "--clusters", "2", "--threads", "1000"});
    INFO(capped.err);
    CHECK(capped.exit_code == 0);
    CHECK_THAT(capped.err, Catch::Contains("--threads 1000 is more than the") && Catch::Contains("processors here; using"));

    // Every subcommand's --help lists its own options.
    CHECK_THAT(run_cli(words({"export", "--help"})).out, Catch::Contains("--force") && Catch::Contains("--what"));
    CHECK_THAT(run_cli(words({"cluster", "--help"})).out, Catch::Contains("--clusters K") && Catch::Contains("--restarts"));
    CHECK_THAT(run_cli(words({"map", "--help"})).out, Catch::Contains("--perplexity"));
}

TEST_CASE("hostile: a failed cluster --project leaves no project behind", "[slow][hostile]") {
    TempDir scratch;
    const fs::path images = scratch / "images";
    for (int i = 0; i < 5; ++i) write_png(images / ("i" + std::to_string(i) + ".png"), i);
    const fs::path project = scratch / "new.corral";
    check_clear_failure(run_cli(words({"cluster", "--data", "folder:" + images.string(), "--clusters", "50", "--project",
                                       project.string()})),
                        2, "cannot form 50 clusters");
    CHECK_FALSE(fs::exists(project));
    // An existing project is never removed by a failure.
    make_project(images, project, 1);
    check_clear_failure(run_cli(words({"cluster", "--data", "folder:" + images.string(), "--clusters", "50", "--project",
                                       project.string()})),
                        2, "cannot form 50 clusters");
    check_intact(project, 1);
}

TEST_CASE("hostile: unreadable folders and broken links are reported, damaged files found", "[slow][hostile]") {
    TempDir scratch;
    const fs::path images = scratch / "images";
    for (int i = 0; i < 6; ++i) write_png(images / "open" / ("i" + std::to_string(i) + ".png"), i);
    write_png(images / "locked" / "hidden.png", 9);
    fs::create_symlink(scratch / "gone.png", images / "open" / "gone.png");
    fs::permissions(scratch.path(), fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec);
    for (const auto& entry : fs::recursive_directory_iterator(images)) {
        if (entry.is_symlink()) continue;
        fs::permissions(entry.path(), fs::perms::others_read | fs::perms::others_exec, fs::perm_options::add);
    }
    fs::permissions(images, fs::perms::others_read | fs::perms::others_exec, fs::perm_options::add);
    fs::permissions(images / "locked", fs::perms::owner_all);  // nobody else may look inside
    auto run = run_cli({"cluster", "--data", "folder:" + images.string(), "--clusters", "2"}, true);
    INFO(run.err);
    CHECK(run.exit_code == 0);
    if (::geteuid() == 0) CHECK_THAT(run.err, Catch::Contains("skipped " + (images / "locked").string() + ": unreadable folder"));
    CHECK_THAT(run.err, Catch::Contains("skipped " + (images / "open" / "gone.png").string() + ": broken symbolic link"));
    fs::permissions(images / "locked", fs::perms::all);

    // info --verify finds a damaged embeddings file by its recorded checksum.
    const fs::path project = scratch / "v.corral";
    make_project(images / "open", project, 0);
    auto info = run_cli({"info", "--project", project.string(), "--verify"});
    CHECK(info.exit_code == 0);
    fs::path embeddings;
    for (const auto& entry : fs::directory_iterator(project / "embeddings")) embeddings = entry.path();
    std::string bytes = read_file(embeddings);
    bytes[bytes.size() / 2] ^= 0x01;
    write_file(embeddings, bytes);
    info = run_cli({"info", "--project", project.string(), "--verify"});
    CHECK(info.exit_code == 1);
    CHECK_THAT(info.out, Catch::Contains("embeddings") && Catch::Contains("checksum"));
}

TEST_CASE("hostile: pixels:128 stays small, and a finished round reads as finished", "[slow][hostile]") {
    TempDir scratch;
    const fs::path images = scratch / "images";
    for (int i = 0; i < 30; ++i) write_png(images / (i % 2 ? "a" : "b") / ("i" + std::to_string(i) + ".png"), i);
    // 128 x 128 x 3 = 49,152 dimensions: the old covariance PCA needed 29 GB here.
    auto run = run_cli({"cluster", "--data", "folder:" + images.string(), "--encoder", "pixels:128", "--clusters", "2"});
    INFO(run.err);
    CHECK(run.exit_code == 0);
    CHECK(run.max_rss_mb < 2000);
    WARN("pixels:128 on 30 images: peak memory " << run.max_rss_mb << " MB");

    const fs::path project = scratch / "round.corral";
    make_project(images, project, 0);
    {
        auto opened = Project::open(project);
        REQUIRE(opened);
        auto current = (*opened)->current_clustering_id();
        auto round = (*opened)->start_round(**current, {{1, 1.0, {0, 1}, {}}, {2, 1.0, {0, 1}, {}}});
        REQUIRE(round);
        for (std::int64_t sample : {1, 2}) {
            REQUIRE((*opened)->record_answer({*round, std::nullopt, sample, {0, 1}, AnswerKind::positive, 0, 0}));
        }
    }
    auto info = run_cli({"info", "--project", project.string()});
    CHECK_THAT(info.out, Catch::Contains("every query answered (2 of 2)"));
    CHECK_THAT(info.out, !Catch::Contains("next query 3 of 2"));
}

TEST_CASE("hostile: an installed corral-cli finds its aspect lexicons", "[slow][hostile]") {
    TempDir prefix;
    const std::string command = std::string("'") + CORRAL_CMAKE_COMMAND + "' --install '" + CORRAL_BINARY_DIR +
                                "' --prefix '" + prefix.path().string() + "' > '" + (prefix / "install.log").string() +
                                "' 2>&1";
    REQUIRE(std::system(command.c_str()) == 0);
    const fs::path installed = prefix / "bin" / "corral-cli";
    REQUIRE(fs::exists(installed));
    CHECK(fs::exists(prefix / "share" / "corral" / "aspects" / "color.json"));
    if (fs::exists(prefix / "bin" / "corral")) {
        CHECK(fs::exists(prefix / "share" / "applications" / "corral.desktop"));
        CHECK(fs::exists(prefix / "share" / "icons" / "hicolor" / "scalable" / "apps" / "corral.svg"));
    }
    // The lexicon is looked up before the model: the message says where the installed one was found.
    auto run = run_cli({"multisub", "--data", "folder:/nonexistent", "--encoder", "clip:/nonexistent", "--aspect",
                        "no-such-aspect"},
                       false, installed.string());
    check_clear_failure(run, 1, "no aspect lexicon 'no-such-aspect' in " + (prefix / "share" / "corral" / "aspects").string());
    CHECK_THAT(run.err, Catch::Contains("color"));
}
