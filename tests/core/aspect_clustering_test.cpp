#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <stop_token>

#include "corral/core/aspect_clustering.h"
#include "corral/core/interactive_session.h"
#include "corral/core/project.h"
#include "test_support.h"
#include "tiny_clip_training.h"

using namespace corral;

namespace {

// Few passes: these tests check what the session stores, not how well Multi-Sub separates.
AspectClusteringRequest quick_request(const std::string& name, const std::string& aspect,
                                      std::vector<std::string> words, const std::filesystem::path& model) {
    AspectClusteringRequest request;
    request.name = name;
    request.clip_model_dir = model.string();
    request.params.aspect = aspect;
    request.params.words = std::move(words);
    request.params.prompt_template = "a photo of a {object} with the " + aspect + " of *";
    request.params.clusters = 4;
    request.params.alternations = 1;
    request.params.phase_one_epochs = 2;
    request.params.phase_two_epochs = 1;
    return request;
}

// The tiny CLIP as the project's encoder too: the pixels encoder's PCA of 3072 colour values
// would take longer than everything else here.
SessionSettings shapes_settings(const std::filesystem::path& images, const std::filesystem::path& model) {
    SessionSettings settings;
    settings.dataset_spec = "folder:" + images.string();
    settings.encoder_spec = "clip:" + model.string();
    settings.clusters = 4;
    settings.round_size = 5;
    settings.fine_tune_epochs = 2;
    return settings;
}

}  // namespace

TEST_CASE("check_clip_model_folder says what a folder lacks to be a CLIP model", "[unit][aspect]") {
    testing::TempDir folder;
    const auto missing = check_clip_model_folder(folder / "nowhere");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ErrorCode::not_found);
    CHECK_FALSE(check_clip_model_folder(""));

    const auto empty = check_clip_model_folder(folder.path());
    REQUIRE_FALSE(empty);
    CHECK(empty.error().message.find("no config.json") != std::string::npos);

    testing::write_file(folder / "config.json", R"({"model_type": "resnet"})");
    const auto not_clip = check_clip_model_folder(folder.path());
    REQUIRE_FALSE(not_clip);
    CHECK(not_clip.error().message.find("vision and text towers") != std::string::npos);

    testing::write_file(folder / "config.json", R"({"vision_config": {}, "text_config": {}})");
    const auto no_weights = check_clip_model_folder(folder.path());
    REQUIRE_FALSE(no_weights);
    CHECK(no_weights.error().message.find("model.safetensors") != std::string::npos);

    testing::write_file(folder / "model.safetensors", "x");
    const auto no_tokenizer = check_clip_model_folder(folder.path());
    REQUIRE_FALSE(no_tokenizer);
    CHECK(no_tokenizer.error().message.find("tokenizer") != std::string::npos);

    testing::write_file(folder / "bpe_simple_vocab_16e6.txt.gz", "x");
    CHECK(check_clip_model_folder(folder.path()));
}

TEST_CASE("aspect_cluster_name joins the heaviest words", "[unit][aspect]") {
    CHECK(aspect_cluster_name({{"red", 0.6}, {"pink", 0.3}, {"orange", 0.1}}) == "red / pink");
    CHECK(aspect_cluster_name({{"red", 0.6}, {"pink", 0.3}}, 1) == "red");
    CHECK(aspect_cluster_name({}).empty());
    ClusteringRecord kmeans;
    kmeans.method = "kmeans";
    kmeans.parameters_json = R"({"clusters": 4})";
    CHECK_FALSE(describe_aspect_clustering(kmeans));
}

TEST_CASE("a session stores, names, renames and reopens two aspect clusterings of one collection", "[model][aspect]") {
    testing::TempDir folder;
    const auto data = testing::render_colored_shapes(folder / "images", 3, 5);  // 4 x 4 x 3 = 48 images
    const auto model = folder / "clip";
    testing::train_tiny_clip(data, model, 0, 3);  // untrained: the plumbing is under test here
    REQUIRE(check_clip_model_folder(model));
    const auto project = folder / "shapes.corral";
    std::int64_t color_id = 0;
    std::int64_t shape_id = 0;
    {
        auto created = InteractiveSession::create(project, shapes_settings(folder / "images", model), {});
        REQUIRE(created);
        auto& session = **created;
        REQUIRE(session.dataset()->size() == 48);
        const auto initial_id = session.clustering().id;

        const std::vector<std::string> color_words = {"red", "green", "blue", "yellow"};
        auto color = compute_aspect_clustering(session, quick_request("By colour", "color", color_words, model), {});
        REQUIRE(color);
        CHECK(color->id == 0);
        CHECK(color->name == "By colour");
        CHECK(color->method == kAspectClusteringMethod);
        CHECK(color->cluster_count == 4);
        REQUIRE(color->assignment.size() == 48);
        for (int cluster : color->assignment) CHECK((cluster >= 0 && cluster < 4));
        const auto described = describe_aspect_clustering(*color);
        REQUIRE(described);
        CHECK(described->aspect == "color");
        CHECK(described->words == color_words);
        CHECK(described->prompt == "a photo of a {object} with the color of *");
        CHECK(described->clusters == 4);
        REQUIRE(described->top_words.size() == 4);
        // Names default to each cluster's top words (made unique), all drawn from the user's words.
        REQUIRE(color->cluster_names.size() == 4);
        CHECK(std::set<std::string>(color->cluster_names.begin(), color->cluster_names.end()).size() == 4);
        for (std::size_t k = 0; k < 4; ++k) {
            CHECK(color->cluster_names[k].rfind(aspect_cluster_name(described->top_words[k]), 0) == 0);
            for (const auto& [word, weight] : described->top_words[k]) {
                CHECK(std::find(color_words.begin(), color_words.end(), word) != color_words.end());
                CHECK((weight > 0.0 && weight <= 1.0));
            }
        }
        auto stored = store_aspect_clustering(session, *color);
        REQUIRE(stored);
        color_id = *stored;
        // The name is the clustering's identity in the project: a second one may not take it.
        auto again = store_aspect_clustering(session, *color);
        REQUIRE_FALSE(again);
        CHECK(again.error().code == ErrorCode::invalid_argument);
        CHECK(session.clustering().id == initial_id);  // storing does not switch

        auto shape = compute_aspect_clustering(
            session, quick_request("By shape", "shape", {"circle", "square", "triangle", "cross"}, model), {});
        REQUIRE(shape);
        auto shape_stored = store_aspect_clustering(session, *shape);
        REQUIRE(shape_stored);
        shape_id = *shape_stored;

        REQUIRE(session.switch_clustering(color_id, {}));
        CHECK(session.clustering().name == "By colour");
        CHECK(session.cluster_names() == color->cluster_names);
        CHECK(session.clustering().assignment == color->assignment);
        REQUIRE(session.switch_clustering(shape_id, {}));
        CHECK(session.clustering().assignment == shape->assignment);
        CHECK(session.clustering().cluster_names == shape->cluster_names);

        // Renaming: the current clustering follows; a name in use is refused.
        REQUIRE(session.rename_clustering(shape_id, "Shapes"));
        CHECK(session.clustering().name == "Shapes");
        const auto taken = session.rename_clustering(shape_id, "By colour");
        REQUIRE_FALSE(taken);
        CHECK(taken.error().code == ErrorCode::invalid_argument);
        CHECK_FALSE(session.rename_clustering(shape_id, ""));
        CHECK_FALSE(session.rename_clustering(999, "Elsewhere"));
        CHECK(session.clusterings().size() == 3);
    }
    // Reopened: both clusterings are there with their aspects, and the current one is still current.
    auto reopened = InteractiveSession::open(project, {});
    REQUIRE(reopened);
    auto& session = **reopened;
    CHECK(session.clustering().id == shape_id);
    CHECK(session.clustering().name == "Shapes");
    auto color = session.project().clustering(color_id);
    REQUIRE(color);
    CHECK(color->name == "By colour");
    const auto color_aspect = describe_aspect_clustering(*color);
    REQUIRE(color_aspect);
    CHECK(color_aspect->aspect == "color");
    const auto shape_aspect = describe_aspect_clustering(session.clustering());
    REQUIRE(shape_aspect);
    CHECK(shape_aspect->aspect == "shape");
    CHECK(shape_aspect->words == std::vector<std::string>{"circle", "square", "triangle", "cross"});
}

TEST_CASE("compute_aspect_clustering refuses a bad request before any work and stops when cancelled", "[model][aspect]") {
    testing::TempDir folder;
    const auto data = testing::render_colored_shapes(folder / "images", 2, 9);
    const auto model = folder / "clip";
    testing::train_tiny_clip(data, model, 0, 4);
    auto created = InteractiveSession::create(folder / "p.corral", shapes_settings(folder / "images", model), {});
    REQUIRE(created);
    auto& session = **created;
    const std::vector<std::string> words = {"red", "green", "blue", "yellow"};

    auto unnamed = compute_aspect_clustering(session, quick_request("", "color", words, model), {});
    REQUIRE_FALSE(unnamed);
    CHECK(unnamed.error().code == ErrorCode::invalid_argument);
    auto not_a_model = compute_aspect_clustering(session, quick_request("c", "color", words, folder / "images"), {});
    REQUIRE_FALSE(not_a_model);
    CHECK(not_a_model.error().message.find("not a CLIP model folder") != std::string::npos);

    std::stop_source stop;
    stop.request_stop();
    auto cancelled = compute_aspect_clustering(session, quick_request("c", "color", words, model), JobContext(stop.get_token(), {}));
    REQUIRE_FALSE(cancelled);
    CHECK(cancelled.error().code == ErrorCode::cancelled);
    CHECK(session.clusterings().size() == 1);
}
