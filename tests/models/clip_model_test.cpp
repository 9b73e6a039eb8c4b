// CLIP towers against a reference written from the published architecture (Hugging Face weight
// names, float64, in tests/oracles/clip_reference.py): a tiny random model round-trips from
// Python's hand-written safetensors file to our C++ with matching outputs.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

#include "corral/models/clip_model.h"
#include "corral/models/model_error.h"
#include "test_support.h"

using namespace corral;

namespace {

template <typename T>
torch::Tensor read_binary(const std::filesystem::path& path, torch::IntArrayRef shape, torch::ScalarType type) {
    const std::string bytes = testing::read_file(path);
    auto tensor = torch::empty(shape, type);
    REQUIRE(bytes.size() == static_cast<std::size_t>(tensor.numel()) * sizeof(T));
    std::memcpy(tensor.data_ptr(), bytes.data(), bytes.size());
    return tensor;
}

double max_abs_difference(const torch::Tensor& a, const torch::Tensor& b) {
    REQUIRE(a.sizes() == b.sizes());
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

struct Reference {
    testing::TempDir folder;
    explicit Reference(const std::string& activation) {
        testing::run_python_oracle("clip_reference.py", {folder.path().string(), activation});
    }
};

void check_parity(const std::string& activation) {
    Reference reference(activation);
    const auto& dir = reference.folder.path();
    auto model = models::load_clip_model(dir);
    torch::InferenceMode inference;
    const auto pixels = read_binary<float>(dir / "pixels.bin", {3, 3, 32, 32}, torch::kFloat32);
    const auto ids = read_binary<std::int64_t>(dir / "ids.bin", {3, 16}, torch::kInt64);
    const auto ends = read_binary<std::int64_t>(dir / "ends.bin", {3}, torch::kInt64);
    const auto replacement = read_binary<float>(dir / "replacement.bin", {24}, torch::kFloat32);

    const auto image = model->encode_image(pixels);
    const auto text = model->encode_text(ids, ends);
    auto embedded = model->embed_tokens(ids).clone();
    embedded[0][2].copy_(replacement);
    const auto replaced = model->encode_text_embeddings(embedded, ends);

    const auto expected_image = read_binary<float>(dir / "image_embeds.bin", {3, 16}, torch::kFloat32);
    const auto expected_text = read_binary<float>(dir / "text_embeds.bin", {3, 16}, torch::kFloat32);
    const auto expected_replaced = read_binary<float>(dir / "text_embeds_replaced.bin", {3, 16}, torch::kFloat32);
    const double image_error = max_abs_difference(image, expected_image);
    const double text_error = max_abs_difference(text, expected_text);
    const double replaced_error = max_abs_difference(replaced, expected_replaced);
    WARN(activation << ": max abs error image " << image_error << ", text " << text_error << ", replaced " << replaced_error
                    << " (outputs of magnitude " << expected_image.abs().max().item<float>() << ")");
    CHECK(image_error < 1e-5);
    CHECK(text_error < 1e-5);
    CHECK(replaced_error < 1e-5);
    // The replacement matters only where it was made: other rows are untouched, row 0 changes.
    CHECK(max_abs_difference(replaced.narrow(0, 1, 2), text.narrow(0, 1, 2)) == 0.0);
    CHECK(max_abs_difference(replaced[0], text[0]) > 1e-3);
    CHECK(std::abs(model->logit_scale.item<float>() - 2.6592f) < 1e-6f);
}

std::string error_of(const std::filesystem::path& folder, models::ModelErrorKind expected_kind) {
    try {
        (void)models::load_clip_model(folder);
    } catch (const models::ModelError& error) {
        CHECK(error.kind() == expected_kind);
        return error.what();
    }
    FAIL("the folder loaded");
    return {};
}

}  // namespace

TEST_CASE("CLIP towers match the reference model to 1e-5 (quick_gelu)", "[model][clip]") { check_parity("quick_gelu"); }

TEST_CASE("CLIP towers match the reference model to 1e-5 (gelu)", "[model][clip]") { check_parity("gelu"); }

TEST_CASE("CLIP parameter names are Hugging Face's", "[unit][clip]") {
    models::ClipModel model(models::ClipConfig::preset("B/32"));
    std::set<std::string> names;
    for (const auto& item : model->named_parameters(true)) names.insert(item.key());
    for (const char* name : {"vision_model.embeddings.class_embedding", "vision_model.embeddings.patch_embedding.weight",
                             "vision_model.embeddings.position_embedding.weight", "vision_model.pre_layrnorm.weight",
                             "vision_model.encoder.layers.11.self_attn.q_proj.bias",
                             "vision_model.encoder.layers.0.mlp.fc2.weight", "vision_model.post_layernorm.bias",
                             "visual_projection.weight", "text_model.embeddings.token_embedding.weight",
                             "text_model.embeddings.position_embedding.weight",
                             "text_model.encoder.layers.11.layer_norm2.weight", "text_model.final_layer_norm.weight",
                             "text_projection.weight", "logit_scale"}) {
        CHECK(names.count(name) == 1);
    }
    // 12 layers x 16 tensors per tower + 7 vision + 4 text + 2 projections + logit_scale.
    CHECK(names.size() == 2 * 12 * 16 + 7 + 4 + 2 + 1);
    CHECK(model->named_parameters()["vision_model.embeddings.position_embedding.weight"].sizes() ==
          torch::IntArrayRef({50, 768}));
    const auto flops = models::ClipConfig::preset("B/32").image_flops();
    CHECK(flops > 8.7e9);  // 4.4 G multiply-adds, the "4.4 GFLOPs" usually quoted for ViT-B/32
    CHECK(flops < 8.9e9);
}

TEST_CASE("CLIP config reads Hugging Face layouts and defaults", "[unit][clip]") {
    auto config = models::ClipConfig::from_json(
        nlohmann::json::parse(R"({"projection_dim": 768, "text_config_dict": {"hidden_size": 768, "num_attention_heads": 12},
                                  "vision_config": {"hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": 24,
                                                    "num_attention_heads": 16, "patch_size": 14, "hidden_act": "gelu"}})"),
        "config.json");
    CHECK(config.projection_dim == 768);
    CHECK(config.text.hidden_size == 768);
    CHECK(config.text.heads == 12);
    CHECK(config.text.intermediate_size == 2048);
    CHECK(config.text.max_positions == 77);
    CHECK(config.vision.patch_size == 14);
    CHECK(config.vision.patches() == 256);
    CHECK(config.vision.activation == models::ClipActivation::gelu);
    CHECK_THROWS_WITH(models::ClipConfig::from_json(nlohmann::json::parse(R"({"vision_config": {"patch_size": 30}})"), "c.json"),
                      Catch::Contains("not a multiple of patch_size"));
    CHECK_THROWS_WITH(models::ClipConfig::from_json(nlohmann::json::parse(R"({"text_config": {"hidden_act": "swish"}})"), "c.json"),
                      Catch::Contains("hidden_act 'swish'"));
}

TEST_CASE("CLIP folders that are incomplete or inconsistent fail with the file named", "[model][clip]") {
    Reference reference("quick_gelu");
    const auto& dir = reference.folder.path();
    testing::TempDir empty;
    CHECK_THAT(error_of(empty / "absent", models::ModelErrorKind::missing), Catch::Contains("not a folder"));
    CHECK_THAT(error_of(empty.path(), models::ModelErrorKind::missing), Catch::Contains("config.json"));

    const std::string config = testing::read_file(dir / "config.json");
    const std::string weights = testing::read_file(dir / "model.safetensors");
    std::filesystem::rename(dir / "model.safetensors", dir / "moved");
    testing::write_file(dir / "pytorch_model.bin", "pickle");
    CHECK_THAT(error_of(dir, models::ModelErrorKind::missing), Catch::Contains("only pytorch_model.bin"));

    testing::write_file(dir / "model.safetensors", weights.substr(0, weights.size() / 2));
    CHECK_THAT(error_of(dir, models::ModelErrorKind::corrupt), Catch::Contains("model.safetensors"));

    auto tensors = std::map<std::string, torch::Tensor>{};
    const auto file = models::SafetensorsFile::parse(weights);
    for (const auto& [name, entry] : file.entries()) {
        if (name != "text_projection.weight") tensors[name] = file.tensor(name);
    }
    models::write_safetensors(dir / "model.safetensors", tensors);
    CHECK_THAT(error_of(dir, models::ModelErrorKind::missing), Catch::Contains("text_projection.weight"));

    testing::write_file(dir / "model.safetensors", weights);
    auto json = nlohmann::json::parse(config);
    json["projection_dim"] = 8;
    testing::write_file(dir / "config.json", json.dump());
    CHECK_THAT(error_of(dir, models::ModelErrorKind::corrupt), Catch::Contains("config.json implies"));
    testing::write_file(dir / "config.json", config);
    CHECK_NOTHROW(models::load_clip_model(dir));
}

TEST_CASE("CLIP text tower passes gradients to an inserted token embedding", "[model][clip]") {
    // Multi-Sub learns a vector in place of a token through the frozen text tower.
    Reference reference("quick_gelu");
    const auto& dir = reference.folder.path();
    auto model = models::load_clip_model(dir);
    for (auto& parameter : model->parameters()) parameter.requires_grad_(false);
    const auto ids = read_binary<std::int64_t>(dir / "ids.bin", {3, 16}, torch::kInt64);
    const auto ends = read_binary<std::int64_t>(dir / "ends.bin", {3}, torch::kInt64);
    auto vector = read_binary<float>(dir / "replacement.bin", {24}, torch::kFloat32).requires_grad_(true);
    auto embedded = model->embed_tokens(ids).detach().clone();
    embedded[0][2].copy_(vector);
    const auto output = model->encode_text_embeddings(embedded, ends);
    const auto expected = read_binary<float>(dir / "text_embeds_replaced.bin", {3, 16}, torch::kFloat32);
    CHECK(max_abs_difference(output.detach(), expected) < 1e-5);
    output[0].pow(2).sum().backward();
    REQUIRE(vector.grad().defined());
    CHECK(vector.grad().abs().sum().item<float>() > 0.0f);
}

TEST_CASE("CLIP attention's fused q/k/v path equals the separate one and follows weight changes", "[unit][clip]") {
    torch::manual_seed(3);
    models::ClipAttention attention(24, 4);
    const auto x = torch::randn({2, 5, 24});
    auto with_gradients = [&] { return attention->forward(x, {}).detach(); };
    auto fused = [&] {
        torch::NoGradGuard no_grad;
        return attention->forward(x, {});
    };
    const auto before = fused();
    CHECK(max_abs_difference(before, with_gradients()) < 1e-6);
    {
        torch::NoGradGuard no_grad;
        attention->named_parameters()["k_proj.weight"].add_(0.25);
        attention->named_parameters()["v_proj.bias"].mul_(-1.0);
    }
    const auto after = fused();
    CHECK(max_abs_difference(after, with_gradients()) < 1e-6);
    CHECK(max_abs_difference(after, before) > 1e-3);
    {
        torch::InferenceMode inference;
        CHECK(max_abs_difference(attention->forward(x, {}), after) == 0.0);
    }
}
