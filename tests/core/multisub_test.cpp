// Multi-Sub: the bundled aspect lexicons, parameter checks, and the faithful synthetic test: a
// tiny CLIP trained here on captioned colour x shape images; Multi-Sub with the "color" aspect must
// recover the colours and with "shape" the shapes, which k-means on the image features cannot both.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "corral/core/aspect_lexicon.h"
#include "corral/core/dataset.h"
#include "corral/core/encoder.h"
#include "corral/core/kmeans.h"
#include "corral/core/metrics.h"
#include "corral/core/multisub.h"
#include "corral/core/runtime.h"
#include "corral/core/text_encoder.h"
#include "test_support.h"
#include "tiny_clip_training.h"

using namespace corral;

TEST_CASE("Bundled aspect lexicons load and are well formed", "[unit][multisub]") {
    auto folder = aspect_lexicon_folder();
    REQUIRE(folder);
    auto lexicons = load_aspect_lexicons(*folder);
    REQUIRE(lexicons);
    std::set<std::string> names;
    for (const auto& lexicon : *lexicons) {
        names.insert(lexicon.aspect);
        CHECK(lexicon.words.size() >= 10);
        CHECK(lexicon.words.size() <= 30);
        CHECK(std::count(lexicon.prompt.begin(), lexicon.prompt.end(), '*') == 1);
        CHECK(std::set<std::string>(lexicon.words.begin(), lexicon.words.end()).size() == lexicon.words.size());
    }
    for (const char* aspect : {"color", "shape", "material", "texture", "species", "emotion", "pose", "season",
                               "environment", "count", "size"}) {
        CHECK(names.count(aspect) == 1);
    }
    auto color = find_aspect_lexicon("color");
    REQUIRE(color);
    CHECK(color->prompt == "a photo of a {object} with the color of *");
    CHECK(std::find(color->words.begin(), color->words.end(), "red") != color->words.end());
    auto absent = find_aspect_lexicon("smell");
    REQUIRE_FALSE(absent);
    CHECK(absent.error().code == ErrorCode::not_found);
    CHECK_THAT(absent.error().message, Catch::Contains("color"));

    auto bad = parse_aspect_lexicon(R"({"aspect": "x", "prompt": "no placeholder", "words": ["a", "b"]})", "x.json");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == ErrorCode::corrupt_data);
    CHECK_THAT(bad.error().message, Catch::Contains("x.json"));
    CHECK_FALSE(parse_aspect_lexicon(R"({"aspect": "x", "prompt": "a *", "words": ["a"]})", "x.json"));
    CHECK_FALSE(parse_aspect_lexicon("not json", "x.json"));
}

namespace {

double nmi(const std::vector<int>& truth, const std::vector<int>& predicted) {
    return normalized_mutual_information(truth, predicted);
}

// Zero-shot accuracy of `texts` (one per class, in class order) as classifiers of the images.
double zero_shot_accuracy(TextEncoder& encoder, const FloatMatrix& image_features, const std::vector<std::string>& texts,
                          const std::vector<int>& truth) {
    auto text_features = encoder.encode(texts);
    REQUIRE(text_features);
    normalize_rows(*text_features);
    std::int64_t right = 0;
    for (std::int64_t i = 0; i < image_features.rows(); ++i) {
        std::int64_t best = 0;
        double best_score = -2.0;
        for (std::int64_t k = 0; k < text_features->rows(); ++k) {
            double score = 0.0;
            for (std::int64_t d = 0; d < image_features.cols(); ++d) score += image_features(i, d) * (*text_features)(k, d);
            if (score > best_score) best_score = score, best = k;
        }
        right += best == truth[static_cast<std::size_t>(i)];
    }
    return static_cast<double>(right) / static_cast<double>(image_features.rows());
}

// The tiny networks here are too small for two threads to pay off, and on a loaded machine the
// OpenMP team's spin-waits cost more than the work (measured: 46 s against 267 s for the same
// training): one thread for the test, the suite's setting restored after it.
struct OneTorchThread {
    OneTorchThread() { configure_runtime({1}); }
    ~OneTorchThread() { configure_runtime(); }
};

}  // namespace

// About a minute on the loaded 2-core machine (tiny CLIP training most of it), hence [slow].
TEST_CASE("Multi-Sub recovers each of two independent aspects that k-means cannot both find", "[slow][multisub]") {
    const OneTorchThread one_thread;
    testing::TempDir root;
    Stopwatch clock;
    const auto data = testing::render_colored_shapes(root / "images", 16, 7);  // 4 x 4 x 16 = 256 images
    const double training_loss = testing::train_tiny_clip(data, root / "clip", 150, 11);
    const double training_ms = clock.elapsed_ms();
    auto dataset = open_dataset("folder:" + (root / "images").string());
    REQUIRE(dataset);
    REQUIRE((*dataset)->size() == static_cast<std::int64_t>(data.files.size()));
    std::map<std::string, std::size_t> index_of;
    for (std::size_t i = 0; i < data.files.size(); ++i) index_of[data.files[i].filename().string()] = i;
    std::vector<int> color_truth, shape_truth;
    for (std::int64_t i = 0; i < (*dataset)->size(); ++i) {
        const auto at = index_of.at((*dataset)->item_file(i).filename().string());
        color_truth.push_back(data.color_of[at]);
        shape_truth.push_back(data.shape_of[at]);
    }
    const std::string model_dir = (root / "clip").string();

    auto encoder = create_image_encoder("clip:" + model_dir);
    REQUIRE(encoder);
    auto features = (*encoder)->encode(**dataset, {});
    REQUIRE(features);
    normalize_rows(*features);
    // The tiny CLIP must tell both aspects apart from text, or no proxy word could.
    auto text_encoder = create_text_encoder("clip:" + model_dir);
    REQUIRE(text_encoder);
    const double zero_shot_color = zero_shot_accuracy(**text_encoder, *features,
                                                      {"a red object", "a green object", "a blue object", "a yellow object"}, color_truth);
    const double zero_shot_shape = zero_shot_accuracy(**text_encoder, *features,
                                                      {"a circle shape", "a square shape", "a triangle shape", "a cross shape"}, shape_truth);
    KMeansParams kmeans;
    kmeans.clusters = 4;
    kmeans.restarts = 5;
    auto baseline = run_kmeans(*features, kmeans);
    REQUIRE(baseline);
    const double kmeans_color = nmi(color_truth, baseline->assignment);
    const double kmeans_shape = nmi(shape_truth, baseline->assignment);

    auto run_aspect = [&](const std::string& aspect, std::vector<std::string> words, const std::string& prompt) {
        MultiSubParams params;
        params.aspect = aspect;
        params.words = std::move(words);
        params.prompt_template = prompt;
        params.clusters = 4;
        params.seed = 3;
        // DESIGN's 5e-3 is for CLIP's 512-wide token embeddings: an Adam step grows a latent's norm
        // by about lr * sqrt(width), so the 64-wide tiny text tower needs a few times that.
        params.latent_learning_rate = 2e-2;
        auto result = run_multisub(model_dir, **dataset, params);
        REQUIRE(result);
        return std::move(*result);
    };
    clock.restart();
    const auto by_color = run_aspect("color", {"red", "green", "blue", "yellow"}, "a * {object}");
    const auto by_shape = run_aspect("shape", {"circle", "square", "triangle", "cross"}, "a * shape");
    const double multisub_ms = clock.elapsed_ms();
    const double color_nmi = nmi(color_truth, by_color.assignment);
    const double shape_nmi = nmi(shape_truth, by_shape.assignment);
    const double color_run_shape_nmi = nmi(shape_truth, by_color.assignment);
    const double shape_run_color_nmi = nmi(color_truth, by_shape.assignment);
    char line[512];
    std::snprintf(line, sizeof line,
                  "tiny CLIP: loss %.3f, %.1f s, zero-shot accuracy colour %.3f shape %.3f; k-means NMI colour %.3f shape %.3f; "
                  "Multi-Sub 'color' NMI colour %.3f (shape %.3f, RI colour %.3f); 'shape' NMI shape %.3f (colour %.3f, RI shape "
                  "%.3f); both runs %.1f s",
                  training_loss, training_ms / 1000, zero_shot_color, zero_shot_shape, kmeans_color, kmeans_shape, color_nmi,
                  color_run_shape_nmi, rand_index(color_truth, by_color.assignment), shape_nmi, shape_run_color_nmi,
                  rand_index(shape_truth, by_shape.assignment), multisub_ms / 1000);
    WARN(line);

    CHECK(zero_shot_color > 0.9);
    CHECK(zero_shot_shape > 0.9);
    // Each aspect is recovered and its clustering ignores the other aspect.
    CHECK(color_nmi > 0.9);
    CHECK(shape_nmi > 0.9);
    CHECK(color_run_shape_nmi < 0.1);
    CHECK(shape_run_color_nmi < 0.1);
    // k-means on the image features gives one clustering, which can follow at most one aspect:
    // Multi-Sub must match it on that one and beat it widely on the other.
    CHECK(color_nmi >= kmeans_color - 0.05);
    CHECK(shape_nmi >= kmeans_shape - 0.05);
    CHECK(std::min(color_nmi, shape_nmi) >= std::min(kmeans_color, kmeans_shape) + 0.4);
    CHECK(color_nmi + shape_nmi >= kmeans_color + kmeans_shape + 0.5);

    // The words shown per cluster: each word heads exactly one cluster of its aspect.
    auto heads_of = [](const MultiSubResult& result) {
        std::set<std::string> heads;
        for (const auto& words : result.cluster_top_words) {
            REQUIRE(words.size() == 4);
            CHECK(words[0].second >= words[1].second);
            heads.insert(words[0].first);
        }
        return heads;
    };
    CHECK(heads_of(by_color) == std::set<std::string>{"red", "green", "blue", "yellow"});
    CHECK(heads_of(by_shape) == std::set<std::string>{"circle", "square", "triangle", "cross"});
    CHECK(by_color.word_weights.rows() == (*dataset)->size());
    CHECK(by_color.phase_one_losses.size() == 30);
    CHECK(by_color.phase_one_losses.back() < by_color.phase_one_losses.front());
    CHECK(by_shape.phase_one_losses.back() < by_shape.phase_one_losses.front());

    MultiSubParams bad;
    bad.words = {"red", "green"};
    bad.prompt_template = "no placeholder";
    auto refused = run_multisub(model_dir, **dataset, bad);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::invalid_argument);
    bad.words = {"red"};
    bad.prompt_template = "a *";
    CHECK(run_multisub(model_dir, **dataset, bad).error().code == ErrorCode::invalid_argument);
}
