// Search by cosine similarity: ranking and find-similar against a float64 brute force computed
// here (ties, zero rows, non-finite rows, exclusion, short collections), the choice of the CLIP
// model text search uses, and text search of a project through a tiny CLIP trained here, checked
// against that model's own text and image towers scored by brute force.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stop_token>

#include "corral/core/dataset.h"
#include "corral/core/encoder.h"
#include "corral/core/image_search.h"
#include "corral/core/interactive_session.h"
#include "corral/core/project.h"
#include "corral/core/text_encoder.h"
#include "test_support.h"
#include "tiny_clip_training.h"

using namespace corral;

namespace {

FloatMatrix random_features(std::int64_t rows, std::int64_t cols, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    FloatMatrix features(rows, cols);
    for (auto& value : features.values()) value = normal(rng);
    return features;
}

// Every row's cosine with `query` in float64, then a full sort: best first, ties by lower row.
std::vector<RankedImage> brute_force_ranking(const FloatMatrix& features, std::span<const float> query, std::int64_t exclude) {
    double query_norm = 0.0;
    for (const float q : query) query_norm += static_cast<double>(q) * q;
    query_norm = std::sqrt(query_norm);
    std::vector<RankedImage> all;
    for (std::int64_t i = 0; i < features.rows(); ++i) {
        if (i == exclude) continue;
        double dot = 0.0, norm = 0.0;
        bool finite = true;
        for (std::int64_t d = 0; d < features.cols(); ++d) {
            const double value = features(i, d);
            finite = finite && std::isfinite(value);
            dot += value * query[static_cast<std::size_t>(d)];
            norm += value * value;
        }
        if (!finite) continue;
        all.push_back({i, norm > 0.0 ? dot / (std::sqrt(norm) * query_norm) : 0.0});
    }
    std::sort(all.begin(), all.end(), [](const RankedImage& a, const RankedImage& b) {
        return a.similarity != b.similarity ? a.similarity > b.similarity : a.item < b.item;
    });
    return all;
}

// The ranking equals the oracle's to float precision: the same similarities at every rank, and
// the same items except where two similarities tie to float precision.
void check_same_ranking(const std::vector<RankedImage>& found, const std::vector<RankedImage>& expected, std::size_t count) {
    REQUIRE(found.size() == std::min(count, expected.size()));
    for (std::size_t k = 0; k < found.size(); ++k) {
        CHECK(found[k].similarity == Approx(expected[k].similarity).margin(1e-5));
        if (found[k].item != expected[k].item) {
            const auto at = std::find_if(expected.begin(), expected.end(), [&](const RankedImage& e) { return e.item == found[k].item; });
            REQUIRE(at != expected.end());
            CHECK(std::abs(at->similarity - expected[k].similarity) < 1e-6);
        }
    }
}

}  // namespace

TEST_CASE("rank_by_cosine equals a float64 brute force, ties by lower item", "[unit][search]") {
    // More rows than one block of the ranking (8192), unnormalised rows of many scales.
    FloatMatrix features = random_features(9000, 24, 11);
    for (std::int64_t i = 0; i < features.rows(); ++i) {
        const float scale = 0.01f + static_cast<float>(i % 7);
        for (auto& value : features.row(i)) value *= scale;
    }
    // Exact ties: row 8500 is row 30 scaled (the same direction), row 12 is row 40 copied.
    for (std::int64_t d = 0; d < features.cols(); ++d) {
        features(8500, d) = 3.0f * features(30, d);
        features(12, d) = features(40, d);
    }
    for (auto& value : features.row(77)) value = 0.0f;                               // similarity 0
    features(500, 3) = std::numeric_limits<float>::quiet_NaN();                      // left out
    features(501, 5) = std::numeric_limits<float>::infinity();                       // left out

    const FloatMatrix query_matrix = random_features(1, 24, 12);
    const auto query = query_matrix.row(0);
    auto ranked = rank_by_cosine(features, query, 200);
    REQUIRE(ranked);
    check_same_ranking(*ranked, brute_force_ranking(features, query, -1), 200);
    for (const auto& result : *ranked) CHECK((result.item != 500 && result.item != 501));

    // The query is a row: that row and its scaled copy first, both at similarity 1 (to float
    // precision, so in either order), never above 1; excluded, the copy first.
    auto with_self = rank_by_cosine(features, features.row(30), 5);
    REQUIRE(with_self);
    CHECK(std::min(with_self->at(0).item, with_self->at(1).item) == 30);
    CHECK(std::max(with_self->at(0).item, with_self->at(1).item) == 8500);
    for (int k = 0; k < 2; ++k) {
        CHECK(with_self->at(k).similarity == Approx(1.0).margin(1e-6));
        CHECK(with_self->at(k).similarity <= 1.0);
    }
    auto similar = find_similar_images(features, 30, 5);
    REQUIRE(similar);
    CHECK(similar->at(0).item == 8500);
    check_same_ranking(*similar, brute_force_ranking(features, features.row(30), 30), 5);
    // Rows 12 and 40 are equal: from 40, row 12 is the most similar; from 12, row 40.
    auto from_forty = find_similar_images(features, 40, 1);
    REQUIRE(from_forty);
    CHECK(from_forty->at(0).item == 12);
    auto from_twelve = find_similar_images(features, 12, 1);
    REQUIRE(from_twelve);
    CHECK(from_twelve->at(0).item == 40);

    // The whole ranking (count beyond the rows): every usable row once, the zero row at 0.
    auto everything = rank_by_cosine(features, query, 100000);
    REQUIRE(everything);
    CHECK(everything->size() == 9000 - 2);
    const auto zero = std::find_if(everything->begin(), everything->end(), [](const RankedImage& r) { return r.item == 77; });
    REQUIRE(zero != everything->end());
    CHECK(zero->similarity == 0.0);
    CHECK(std::is_sorted(everything->begin(), everything->end(),
                         [](const RankedImage& a, const RankedImage& b) { return a.similarity > b.similarity; }));
}

TEST_CASE("rank_by_cosine refuses malformed requests and stops when asked", "[unit][search]") {
    const FloatMatrix features = random_features(50, 8, 3);
    const FloatMatrix short_query = random_features(1, 7, 4);
    auto mismatch = rank_by_cosine(features, short_query.row(0), 5);
    REQUIRE_FALSE(mismatch);
    CHECK(mismatch.error().code == ErrorCode::invalid_argument);
    auto none = rank_by_cosine(features, features.row(0), 0);
    REQUIRE_FALSE(none);
    CHECK(none.error().code == ErrorCode::invalid_argument);
    const std::vector<float> zeros(8, 0.0f);
    auto zero_query = rank_by_cosine(features, zeros, 5);
    REQUIRE_FALSE(zero_query);
    CHECK(zero_query.error().code == ErrorCode::invalid_argument);
    for (const std::int64_t outside : {std::int64_t{-1}, std::int64_t{50}}) {
        auto out_of_range = find_similar_images(features, outside, 5);
        REQUIRE_FALSE(out_of_range);
        CHECK(out_of_range.error().code == ErrorCode::invalid_argument);
    }
    auto empty = rank_by_cosine(FloatMatrix(0, 8), features.row(0), 5);
    REQUIRE(empty);
    CHECK(empty->empty());

    std::stop_source stop;
    stop.request_stop();
    auto stopped = rank_by_cosine(features, features.row(0), 5, -1, JobContext(stop.get_token(), {}));
    REQUIRE_FALSE(stopped);
    CHECK(stopped.error().code == ErrorCode::cancelled);
}

TEST_CASE("text search uses the project's CLIP encoder, else a chosen CLIP folder, else says why not", "[unit][search]") {
    testing::TempDir scratch;
    // What check_clip_model_folder looks for: both towers in config.json, weights and a tokenizer.
    const auto make_clip_folder = [&](const std::string& name) {
        const auto folder = scratch / name;
        std::filesystem::create_directories(folder);
        testing::write_file(folder / "config.json", R"({"vision_config": {}, "text_config": {}})");
        testing::write_file(folder / "model.safetensors", "");
        testing::write_file(folder / "vocab.json", "{}");
        testing::write_file(folder / "merges.txt", "");
        return folder.string();
    };
    const std::string own = make_clip_folder("own");
    const std::string chosen = make_clip_folder("chosen");
    const std::string missing = (scratch / "missing").string();

    const auto from_project = text_search_model("clip:" + own, chosen);
    CHECK(from_project.available());
    CHECK(from_project.uses_project_encoder);
    CHECK(from_project.clip_model_dir == own);

    const auto from_choice = text_search_model("pixels", chosen);
    CHECK(from_choice.available());
    CHECK_FALSE(from_choice.uses_project_encoder);
    CHECK(from_choice.clip_model_dir == chosen);
    // The project's CLIP folder is gone: the chosen one serves.
    CHECK(text_search_model("clip:" + missing, chosen).clip_model_dir == chosen);

    const auto none = text_search_model("convnet", "");
    CHECK_FALSE(none.available());
    CHECK_THAT(none.problem, Catch::Contains("CLIP") && Catch::Contains("convnet"));
    const auto gone = text_search_model("clip:" + missing, "");
    CHECK_FALSE(gone.available());
    CHECK_THAT(gone.problem, Catch::Contains(missing));
    const auto bad_choice = text_search_model("pixels", (scratch / "own" / "config.json").string());
    CHECK_FALSE(bad_choice.available());
    CHECK_THAT(bad_choice.problem, Catch::Contains("not a folder"));
}

TEST_CASE("text search ranks a project's images by a tiny CLIP's text features", "[model][search]") {
    testing::TempDir scratch;
    const auto data = testing::render_colored_shapes(scratch / "images", 4, 21);  // 4 colours x 4 shapes x 4
    const auto model_folder = scratch / "clip";
    testing::train_tiny_clip(data, model_folder, 15, 5);
    const std::string spec = "clip:" + model_folder.string();

    // The oracle: the model's own towers, scored here by brute force.
    auto text_encoder = create_text_encoder(spec);
    REQUIRE(text_encoder);
    auto image_encoder = create_image_encoder(spec);
    REQUIRE(image_encoder);
    const std::string prompt = "a red object";
    auto prompt_features = (*text_encoder)->encode({prompt});
    REQUIRE(prompt_features);

    // A project made with another encoder: the first text search encodes the images with CLIP and
    // stores their features; a project made with CLIP searches its own features.
    for (const std::string& encoder_spec : {std::string("pixels"), spec}) {
        SessionSettings settings;
        settings.dataset_spec = "folder:" + data.folder.string();
        settings.encoder_spec = encoder_spec;
        settings.clusters = 4;
        const auto folder = scratch / (encoder_spec == "pixels" ? "pixels.corral" : "clip.corral");
        auto session = InteractiveSession::create(folder, settings, {});
        REQUIRE(session);
        const auto dataset = (*session)->dataset();
        auto clip_images = (*image_encoder)->encode(*dataset, {});
        REQUIRE(clip_images);
        const auto expected = brute_force_ranking(*clip_images, prompt_features->row(0), -1);

        const SearchFeatures current{(*session)->features(), (*session)->clustering().encoder_id};
        CHECK((current.encoder_id == (*image_encoder)->id()) == (encoder_spec == spec));
        auto found = search_images_by_text((*session)->project(), *dataset, current, model_folder.string(), prompt, 20);
        REQUIRE(found);
        check_same_ranking(*found, expected, 20);
        auto stored = (*session)->project().encoders();
        REQUIRE(stored);
        CHECK(std::any_of(stored->begin(), stored->end(),
                          [&](const EncoderRecord& record) { return record.encoder_id == (*image_encoder)->id(); }));

        // What the tiny CLIP learned: the images "a red object" ranks first are mostly red.
        const auto red = std::find(data.colors.begin(), data.colors.end(), "red") - data.colors.begin();
        REQUIRE(red < static_cast<std::ptrdiff_t>(data.colors.size()));
        int red_in_top = 0;
        for (std::size_t k = 0; k < 8; ++k) {
            const auto file = dataset->item_file(found->at(k).item);
            red_in_top += file.parent_path().filename() == "red";
        }
        CHECK(red_in_top >= 5);

        auto blank = search_images_by_text((*session)->project(), *dataset, current, model_folder.string(), "  ", 20);
        REQUIRE_FALSE(blank);
        CHECK(blank.error().code == ErrorCode::invalid_argument);
        auto no_model = search_images_by_text((*session)->project(), *dataset, current, (scratch / "none").string(), prompt, 20);
        REQUIRE_FALSE(no_model);
        CHECK(no_model.error().code == ErrorCode::not_found);
    }
}
