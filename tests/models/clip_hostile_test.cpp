// A CLIP folder whose config.json is absurd or does not describe its weights, or whose weights
// are integers or NaN, is refused with a message naming config.json's field (or the tensor)
// before the model is built, so nothing of the config's size is ever allocated.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <sys/resource.h>

#include <limits>
#include <set>

#include "corral/models/clip_model.h"
#include "corral/models/model_error.h"
#include "test_support.h"

using namespace corral;

namespace {

std::string config_error(const std::string& json_text, models::ModelErrorKind expected_kind = models::ModelErrorKind::corrupt) {
    try {
        (void)models::ClipConfig::from_json(nlohmann::json::parse(json_text), "/m/config.json");
    } catch (const models::ModelError& error) {
        CHECK(error.kind() == expected_kind);
        return error.what();
    }
    FAIL("the config was accepted: " << json_text);
    return {};
}

std::string load_error(const std::filesystem::path& folder, models::ModelErrorKind expected_kind) {
    try {
        (void)models::load_clip_model(folder);
    } catch (const models::ModelError& error) {
        CHECK(error.kind() == expected_kind);
        return error.what();
    }
    FAIL("the folder loaded");
    return {};
}

long peak_rss_kb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

}  // namespace

TEST_CASE("CLIP config sizes outside sane bounds are refused, naming config.json and the field", "[unit][clip]") {
    auto message = config_error(R"({"text_config": {"num_hidden_layers": 1000000000}})");
    CHECK_THAT(message, Catch::Contains("/m/config.json text_config") && Catch::Contains("num_hidden_layers 1000000000") &&
                            Catch::Contains("out of range"));
    // Past INT64_MAX, negative, zero, fractional: no wrap-around to a plausible size.
    CHECK_THAT(config_error(R"({"vision_config": {"hidden_size": 1180591620717411303424}})"),
               Catch::Contains("hidden_size"));
    CHECK_THAT(config_error(R"({"vision_config": {"hidden_size": 18446744073709551615}})"), Catch::Contains("out of range"));
    CHECK_THAT(config_error(R"({"vision_config": {"intermediate_size": -3072}})"), Catch::Contains("intermediate_size -3072"));
    CHECK_THAT(config_error(R"({"text_config": {"vocab_size": 0}})"), Catch::Contains("vocab_size 0"));
    CHECK_THAT(config_error(R"({"text_config": {"max_position_embeddings": 77.5}})"),
               Catch::Contains("max_position_embeddings must be an integer"));
    CHECK_THAT(config_error(R"({"projection_dim": 100000})"), Catch::Contains("projection_dim 100000"));
    CHECK_THAT(config_error(R"({"vision_config": {"num_attention_heads": 100000}})"), Catch::Contains("num_attention_heads"));
    CHECK_THAT(config_error(R"({"vision_config": {"image_size": 2048, "patch_size": 1}})"), Catch::Contains("patches"));
    CHECK_THAT(config_error(R"({"vision_config": {"num_channels": 4}})", models::ModelErrorKind::unsupported),
               Catch::Contains("num_channels 4"));
    CHECK_THAT(config_error(R"({"text_config": {"layer_norm_eps": 1e308}})"), Catch::Contains("layer_norm_eps"));
}

TEST_CASE("CLIP's expected parameter shapes are the model's own", "[unit][clip]") {
    auto config = models::ClipConfig::preset("B/32");
    config.vision.layers = 2;
    config.text.layers = 3;
    config.vision.patch_size = 16;
    config.text.vocabulary_size = 100;
    models::ClipModel model(config);
    const auto expected = models::clip_parameter_shapes(config);
    std::set<std::string> names;
    for (const auto& item : model->named_parameters(true)) {
        names.insert(item.key());
        const auto found = expected.find(item.key());
        REQUIRE(found != expected.end());
        CHECK(torch::IntArrayRef(found->second.shape) == item.value().sizes());
    }
    CHECK(names.size() == expected.size());
}

TEST_CASE("CLIP weights that do not fit config.json, or are integers or NaN, are refused", "[model][clip]") {
    testing::TempDir reference;
    testing::run_python_oracle("clip_reference.py", {reference.path().string(), "quick_gelu"});
    const auto& dir = reference.path();
    const std::string config_text = testing::read_file(dir / "config.json");
    const std::string weights = testing::read_file(dir / "model.safetensors");
    const auto config = nlohmann::json::parse(config_text);
    auto with_config = [&](const std::function<void(nlohmann::json&)>& change) {
        auto changed = config;
        change(changed);
        testing::write_file(dir / "config.json", changed.dump());
    };

    SECTION("a layer count the weights do not have") {
        with_config([](nlohmann::json& c) { c["vision_config"]["num_hidden_layers"] = 12; });
        CHECK_THAT(load_error(dir, models::ModelErrorKind::corrupt),
                   Catch::Contains("config.json: vision_config num_hidden_layers is 12 but model.safetensors has 2"));
    }
    SECTION("a realistic but wrong config allocates nothing of its size") {
        // Wide towers: built first, this model would take about 1 GB before the mismatch showed.
        with_config([](nlohmann::json& c) {
            c["vision_config"]["hidden_size"] = 2048;
            c["vision_config"]["intermediate_size"] = 8192;
            c["vision_config"]["num_attention_heads"] = 16;
            c["vision_config"]["num_hidden_layers"] = 2;
            c["text_config"]["vocab_size"] = 100000;
            c["text_config"]["hidden_size"] = 1536;
        });
        const long before = peak_rss_kb();
        const auto message = load_error(dir, models::ModelErrorKind::corrupt);
        CHECK_THAT(message, Catch::Contains("config.json implies") && Catch::Contains("hidden_size"));
        CHECK(peak_rss_kb() - before < 300 * 1024);
    }
    SECTION("int32 weights") {
        const auto file = models::SafetensorsFile::parse(weights);
        std::map<std::string, torch::Tensor> tensors;
        for (const auto& [name, entry] : file.entries()) {
            auto tensor = file.tensor(name);
            tensors[name] = name == "vision_model.post_layernorm.weight" ? tensor.to(torch::kInt32) : tensor;
        }
        models::write_safetensors(dir / "model.safetensors", tensors);
        CHECK_THAT(load_error(dir, models::ModelErrorKind::unsupported),
                   Catch::Contains("'vision_model.post_layernorm.weight' holds I32"));
    }
    SECTION("NaN weights") {
        const auto file = models::SafetensorsFile::parse(weights);
        std::map<std::string, torch::Tensor> tensors;
        for (const auto& [name, entry] : file.entries()) tensors[name] = file.tensor(name);
        tensors["text_projection.weight"][0][1] = std::numeric_limits<float>::quiet_NaN();
        models::write_safetensors(dir / "model.safetensors", tensors);
        CHECK_THAT(load_error(dir, models::ModelErrorKind::corrupt),
                   Catch::Contains("'text_projection.weight' holds NaN or infinite values"));
    }
    testing::write_file(dir / "config.json", config_text);
    testing::write_file(dir / "model.safetensors", weights);
    CHECK_NOTHROW(models::load_clip_model(dir));
}
