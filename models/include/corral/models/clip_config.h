#pragma once
// The shape of a CLIP model, read from a Hugging Face CLIPModel config.json (text_config and
// vision_config, or the older *_config_dict keys; absent keys take Hugging Face's defaults, which
// are ViT-B/32's). load() throws ModelError naming the file and the key at fault.
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace corral::models {

enum class ClipActivation { quick_gelu, gelu, gelu_tanh };

struct ClipTowerConfig {
    std::int64_t hidden_size = 0;
    std::int64_t intermediate_size = 0;
    std::int64_t layers = 0;
    std::int64_t heads = 0;
    double layer_norm_eps = 1e-5;
    ClipActivation activation = ClipActivation::quick_gelu;
};

struct ClipVisionConfig : ClipTowerConfig {
    std::int64_t image_size = 224;
    std::int64_t patch_size = 32;
    std::int64_t channels = 3;
    std::int64_t patches() const { return (image_size / patch_size) * (image_size / patch_size); }
};

struct ClipTextConfig : ClipTowerConfig {
    std::int64_t vocabulary_size = 49408;
    std::int64_t max_positions = 77;  // the context length
};

struct ClipConfig {
    ClipVisionConfig vision;
    ClipTextConfig text;
    std::int64_t projection_dim = 512;

    static ClipConfig load(const std::filesystem::path& config_json);
    static ClipConfig from_json(const nlohmann::json& config, const std::string& where);
    // The published OpenAI shapes: "B/32", "B/16" or "L/14" (ViT-L/14 at 224 pixels).
    static ClipConfig preset(const std::string& name);

    // FLOPs (multiply-add = 2) of one image through the vision tower and projection.
    double image_flops() const;
};

}  // namespace corral::models
