#include "corral/models/clip_config.h"

#include <nlohmann/json.hpp>

#include <fstream>

#include "corral/models/model_error.h"

namespace corral::models {
namespace {

[[noreturn]] void fail(const std::string& where, const std::string& what) {
    throw ModelError(ModelErrorKind::corrupt, where + ": " + what);
}

// Sane bounds for every size in a config: generous for any published CLIP (ViT-bigG/14 has 48
// layers of width 1664), small enough that a typo or a hostile file cannot make the model
// allocate without bound before the weights are even looked at.
struct Bounds {
    std::int64_t lowest;
    std::int64_t highest;
};
constexpr Bounds kWidth{1, 8192};
constexpr Bounds kIntermediate{1, 65536};
constexpr Bounds kLayers{1, 128};
constexpr Bounds kHeads{1, 256};
constexpr Bounds kImageSize{1, 2048};
constexpr Bounds kPatch{1, 2048};
constexpr Bounds kVocabulary{1, 1'000'000};
constexpr Bounds kPositions{1, 16384};
constexpr Bounds kProjection{1, 16384};

std::int64_t positive(const nlohmann::json& section, const char* key, std::int64_t fallback, const std::string& where,
                      Bounds bounds) {
    const auto found = section.find(key);
    if (found == section.end() || found->is_null()) return fallback;
    const std::string range = std::to_string(bounds.lowest) + ".." + std::to_string(bounds.highest);
    if (!found->is_number_integer()) fail(where, std::string(key) + " must be an integer in " + range + ", not " + found->dump());
    // Compared before get<int64_t>, which would wrap a value past INT64_MAX.
    const auto lowest = static_cast<std::uint64_t>(bounds.lowest);
    const auto highest = static_cast<std::uint64_t>(bounds.highest);
    const bool in_range = found->is_number_unsigned()
                              ? found->get<std::uint64_t>() >= lowest && found->get<std::uint64_t>() <= highest
                              : found->get<std::int64_t>() >= bounds.lowest && found->get<std::int64_t>() <= bounds.highest;
    if (!in_range) fail(where, std::string(key) + " " + found->dump() + " is out of range (" + range + ")");
    return found->get<std::int64_t>();
}

ClipActivation activation(const nlohmann::json& section, const std::string& where) {
    const auto found = section.find("hidden_act");
    if (found == section.end() || found->is_null()) return ClipActivation::quick_gelu;
    if (!found->is_string()) fail(where, "hidden_act must be a string");
    const auto name = found->get<std::string>();
    if (name == "quick_gelu") return ClipActivation::quick_gelu;
    if (name == "gelu") return ClipActivation::gelu;
    if (name == "gelu_new" || name == "gelu_pytorch_tanh") return ClipActivation::gelu_tanh;
    throw ModelError(ModelErrorKind::unsupported, where + ": hidden_act '" + name + "' is not supported "
                                                          "(quick_gelu, gelu, gelu_new, gelu_pytorch_tanh are)");
}

void read_tower(const nlohmann::json& section, ClipTowerConfig& tower, const std::string& where) {
    tower.hidden_size = positive(section, "hidden_size", tower.hidden_size, where, kWidth);
    tower.intermediate_size = positive(section, "intermediate_size", tower.intermediate_size, where, kIntermediate);
    tower.layers = positive(section, "num_hidden_layers", tower.layers, where, kLayers);
    tower.heads = positive(section, "num_attention_heads", tower.heads, where, kHeads);
    if (const auto eps = section.find("layer_norm_eps"); eps != section.end() && !eps->is_null()) {
        if (!eps->is_number() || !(eps->get<double>() > 0) || !(eps->get<double>() < 1)) {
            fail(where, "layer_norm_eps must be a number above 0 and below 1");
        }
        tower.layer_norm_eps = eps->get<double>();
    }
    tower.activation = activation(section, where);
    if (tower.hidden_size % tower.heads != 0) {
        fail(where, "hidden_size " + std::to_string(tower.hidden_size) + " is not a multiple of num_attention_heads " +
                        std::to_string(tower.heads));
    }
}

const nlohmann::json& section(const nlohmann::json& config, const char* name, const char* legacy_name) {
    static const nlohmann::json empty = nlohmann::json::object();
    for (const char* key : {name, legacy_name}) {
        if (const auto found = config.find(key); found != config.end() && found->is_object()) return *found;
    }
    return empty;
}

}  // namespace

ClipConfig ClipConfig::preset(const std::string& name) {
    ClipConfig config;
    config.vision.hidden_size = 768;
    config.vision.intermediate_size = 3072;
    config.vision.layers = 12;
    config.vision.heads = 12;
    config.text.hidden_size = 512;
    config.text.intermediate_size = 2048;
    config.text.layers = 12;
    config.text.heads = 8;
    if (name == "B/32") return config;
    if (name == "B/16") {
        config.vision.patch_size = 16;
        return config;
    }
    if (name == "L/14") {
        config.vision.hidden_size = 1024;
        config.vision.intermediate_size = 4096;
        config.vision.layers = 24;
        config.vision.heads = 16;
        config.vision.patch_size = 14;
        config.text.hidden_size = 768;
        config.text.intermediate_size = 3072;
        config.text.heads = 12;
        config.projection_dim = 768;
        return config;
    }
    throw std::invalid_argument("unknown CLIP preset '" + name + "' (B/32, B/16, L/14)");
}

ClipConfig ClipConfig::from_json(const nlohmann::json& json, const std::string& where) {
    if (!json.is_object()) fail(where, "not a JSON object");
    ClipConfig config = preset("B/32");
    const auto& vision = section(json, "vision_config", "vision_config_dict");
    const auto& text = section(json, "text_config", "text_config_dict");
    read_tower(vision, config.vision, where + " vision_config");
    read_tower(text, config.text, where + " text_config");
    config.vision.image_size = positive(vision, "image_size", config.vision.image_size, where + " vision_config", kImageSize);
    config.vision.patch_size = positive(vision, "patch_size", config.vision.patch_size, where + " vision_config", kPatch);
    config.vision.channels = positive(vision, "num_channels", config.vision.channels, where + " vision_config", {1, 16});
    config.text.vocabulary_size = positive(text, "vocab_size", config.text.vocabulary_size, where + " text_config", kVocabulary);
    config.text.max_positions =
        positive(text, "max_position_embeddings", config.text.max_positions, where + " text_config", kPositions);
    config.projection_dim = positive(json, "projection_dim", config.projection_dim, where, kProjection);
    if (config.vision.image_size % config.vision.patch_size != 0) {
        fail(where, "image_size " + std::to_string(config.vision.image_size) + " is not a multiple of patch_size " +
                        std::to_string(config.vision.patch_size));
    }
    // Images reach the model as RGB (clip_preprocess): another channel count could never run.
    if (config.vision.channels != 3) {
        throw ModelError(ModelErrorKind::unsupported, where + " vision_config: num_channels " +
                                                          std::to_string(config.vision.channels) +
                                                          " is not supported (CLIP takes RGB images, 3 channels)");
    }
    if (config.vision.patches() > 16384) {
        fail(where + " vision_config", "image_size / patch_size gives " + std::to_string(config.vision.patches()) +
                                           " patches, more than 16384");
    }
    return config;
}

ClipConfig ClipConfig::load(const std::filesystem::path& config_json) {
    std::ifstream in(config_json);
    if (!in) {
        throw ModelError(std::filesystem::exists(config_json) ? ModelErrorKind::io : ModelErrorKind::missing,
                         config_json.string() + ": cannot open");
    }
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& error) {
        fail(config_json.string(), std::string("not valid JSON (") + error.what() + ")");
    }
    return from_json(json, config_json.string());
}

double ClipConfig::image_flops() const {
    const double tokens = static_cast<double>(vision.patches() + 1);
    const double d = static_cast<double>(vision.hidden_size);
    const double patch_inputs = static_cast<double>(vision.channels * vision.patch_size * vision.patch_size);
    // Per layer: q, k, v, out projections (4 d^2 per token), the MLP (2 d f per token), and the
    // two attention products (2 tokens^2 d).
    const double per_layer = tokens * (4 * d * d + 2 * d * static_cast<double>(vision.intermediate_size)) + 2 * tokens * tokens * d;
    const double multiply_adds = static_cast<double>(vision.patches()) * patch_inputs * d +
                                 static_cast<double>(vision.layers) * per_layer + d * static_cast<double>(projection_dim);
    return 2 * multiply_adds;
}

}  // namespace corral::models
