#include "corral/models/clip_model.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <tuple>

#include "corral/models/model_error.h"

namespace corral::models {
namespace {

torch::nn::LayerNorm layer_norm(std::int64_t size, double eps) {
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({size}).eps(eps));
}

std::string shape_text(torch::IntArrayRef sizes) {
    std::ostringstream text;
    text << sizes;
    return text.str();
}

}  // namespace

ClipAttentionImpl::ClipAttentionImpl(std::int64_t hidden_size, std::int64_t heads) : heads_(heads) {
    k_proj = register_module("k_proj", torch::nn::Linear(hidden_size, hidden_size));
    v_proj = register_module("v_proj", torch::nn::Linear(hidden_size, hidden_size));
    q_proj = register_module("q_proj", torch::nn::Linear(hidden_size, hidden_size));
    out_proj = register_module("out_proj", torch::nn::Linear(hidden_size, hidden_size));
}

const torch::Tensor& ClipAttentionImpl::fused_projection_weight() {
    std::vector<std::pair<const void*, std::uint32_t>> sources;
    for (const auto* linear : {&q_proj, &k_proj, &v_proj}) {
        for (const auto* tensor : {&(*linear)->weight, &(*linear)->bias}) {
            // Inference tensors keep no version counter; they cannot be modified in place anyway.
            sources.emplace_back(tensor->data_ptr(), tensor->is_inference() ? 0u : tensor->_version());
        }
    }
    if (sources != fused_sources_ || !fused_weight_.defined()) {
        const double scale = 1.0 / std::sqrt(static_cast<double>(q_proj->weight.size(0) / heads_));
        fused_weight_ = torch::cat({q_proj->weight * scale, k_proj->weight, v_proj->weight}, 0).contiguous();
        fused_bias_ = torch::cat({q_proj->bias * scale, k_proj->bias, v_proj->bias}, 0).contiguous();
        fused_sources_ = std::move(sources);
    }
    return fused_weight_;
}

torch::Tensor ClipAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
    const auto batch = x.size(0);
    const auto tokens = x.size(1);
    const auto hidden = x.size(2);
    const auto head_size = hidden / heads_;
    auto split_heads = [&](const torch::Tensor& t) { return t.reshape({batch, tokens, heads_, head_size}).transpose(1, 2); };
    torch::Tensor query, key, value;
    if (torch::GradMode::is_enabled()) {
        query = split_heads(q_proj->forward(x) * (1.0 / std::sqrt(static_cast<double>(head_size))));
        key = split_heads(k_proj->forward(x));
        value = split_heads(v_proj->forward(x));
    } else {
        // One [tokens, 3*hidden] GEMM instead of three [tokens, hidden] ones: its wider output
        // keeps OpenBLAS nearer its square-matrix rate (~20% faster for this step on 2 cores).
        const auto& weight = fused_projection_weight();
        const auto projected = torch::linear(x, weight, fused_bias_).chunk(3, -1);
        query = split_heads(projected[0]);
        key = split_heads(projected[1]);
        value = split_heads(projected[2]);
    }
    auto scores = torch::matmul(query, key.transpose(-2, -1));
    if (mask.defined()) scores.add_(mask);
    const auto context = torch::matmul(torch::softmax(scores, -1), value);
    return out_proj->forward(context.transpose(1, 2).reshape({batch, tokens, hidden}));
}

ClipMlpImpl::ClipMlpImpl(const ClipTowerConfig& config) : activation_(config.activation) {
    fc1 = register_module("fc1", torch::nn::Linear(config.hidden_size, config.intermediate_size));
    fc2 = register_module("fc2", torch::nn::Linear(config.intermediate_size, config.hidden_size));
}

torch::Tensor ClipMlpImpl::forward(const torch::Tensor& x) {
    auto h = fc1->forward(x);
    switch (activation_) {
        case ClipActivation::quick_gelu: {
            // x * sigmoid(1.702 x) = silu(1.702 x) / 1.702: one fused kernel and, when nothing
            // records gradients, no temporaries at [batch x tokens, 3072]. With gradients
            // (Multi-Sub's prompt learning flows through this tower) autograd needs h unmodified.
            constexpr double scale = 1.702;
            h = torch::GradMode::is_enabled() ? torch::silu(h * scale) / scale : torch::silu_(h.mul_(scale)).div_(scale);
            break;
        }
        case ClipActivation::gelu: h = torch::gelu(h); break;
        case ClipActivation::gelu_tanh: h = torch::gelu(h, "tanh"); break;
    }
    return fc2->forward(h);
}

ClipEncoderLayerImpl::ClipEncoderLayerImpl(const ClipTowerConfig& config) {
    self_attn = register_module("self_attn", ClipAttention(config.hidden_size, config.heads));
    layer_norm1 = register_module("layer_norm1", layer_norm(config.hidden_size, config.layer_norm_eps));
    mlp = register_module("mlp", ClipMlp(config));
    layer_norm2 = register_module("layer_norm2", layer_norm(config.hidden_size, config.layer_norm_eps));
}

torch::Tensor ClipEncoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
    auto h = x + self_attn->forward(layer_norm1->forward(x), mask);
    return h + mlp->forward(layer_norm2->forward(h));
}

ClipTransformerImpl::ClipTransformerImpl(const ClipTowerConfig& config) {
    layers = register_module("layers", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < config.layers; ++i) layers->push_back(ClipEncoderLayer(config));
}

torch::Tensor ClipTransformerImpl::forward(torch::Tensor x, const torch::Tensor& mask) {
    for (const auto& layer : *layers) x = layer->as<ClipEncoderLayerImpl>()->forward(x, mask);
    return x;
}

ClipVisionEmbeddingsImpl::ClipVisionEmbeddingsImpl(const ClipVisionConfig& config) : config_(config) {
    class_embedding = register_parameter("class_embedding", torch::randn({config.hidden_size}));
    patch_embedding = register_module(
        "patch_embedding", torch::nn::Conv2d(torch::nn::Conv2dOptions(config.channels, config.hidden_size, config.patch_size)
                                                 .stride(config.patch_size)
                                                 .bias(false)));
    position_embedding = register_module("position_embedding", torch::nn::Embedding(config.patches() + 1, config.hidden_size));
}

torch::Tensor ClipVisionEmbeddingsImpl::forward(const torch::Tensor& pixels) {
    const auto batch = pixels.size(0);
    const auto channels = config_.channels;
    const auto patch = config_.patch_size;
    const auto grid = config_.image_size / patch;
    TORCH_CHECK(pixels.dim() == 4 && pixels.size(1) == channels && pixels.size(2) == config_.image_size &&
                    pixels.size(3) == config_.image_size,
                "CLIP expects pixels [batch, ", channels, ", ", config_.image_size, ", ", config_.image_size, "], got ",
                pixels.sizes());
    // A stride-equals-kernel convolution is one GEMM over flattened patches; doing it as such
    // keeps the patch embedding on the BLAS fast path instead of a generic convolution.
    const auto patches = pixels.reshape({batch, channels, grid, patch, grid, patch})
                             .permute({0, 2, 4, 1, 3, 5})
                             .reshape({batch * grid * grid, channels * patch * patch});
    const auto weight = patch_embedding->weight.reshape({config_.hidden_size, channels * patch * patch});
    const auto embedded = patches.matmul(weight.t()).reshape({batch, grid * grid, config_.hidden_size});
    const auto cls = class_embedding.reshape({1, 1, config_.hidden_size}).expand({batch, 1, config_.hidden_size});
    return torch::cat({cls, embedded}, 1) + position_embedding->weight.unsqueeze(0);
}

ClipVisionTransformerImpl::ClipVisionTransformerImpl(const ClipVisionConfig& config) {
    embeddings = register_module("embeddings", ClipVisionEmbeddings(config));
    pre_layrnorm = register_module("pre_layrnorm", layer_norm(config.hidden_size, config.layer_norm_eps));
    encoder = register_module("encoder", ClipTransformer(config));
    post_layernorm = register_module("post_layernorm", layer_norm(config.hidden_size, config.layer_norm_eps));
}

torch::Tensor ClipVisionTransformerImpl::forward(const torch::Tensor& pixels) {
    auto x = encoder->forward(pre_layrnorm->forward(embeddings->forward(pixels)), {});
    return post_layernorm->forward(x.select(1, 0));
}

ClipTextEmbeddingsImpl::ClipTextEmbeddingsImpl(const ClipTextConfig& config) {
    token_embedding = register_module("token_embedding", torch::nn::Embedding(config.vocabulary_size, config.hidden_size));
    position_embedding = register_module("position_embedding", torch::nn::Embedding(config.max_positions, config.hidden_size));
}

ClipTextTransformerImpl::ClipTextTransformerImpl(const ClipTextConfig& config) {
    embeddings = register_module("embeddings", ClipTextEmbeddings(config));
    encoder = register_module("encoder", ClipTransformer(config));
    final_layer_norm = register_module("final_layer_norm", layer_norm(config.hidden_size, config.layer_norm_eps));
}

torch::Tensor ClipTextTransformerImpl::forward(const torch::Tensor& token_embeddings, const torch::Tensor& end_positions) {
    const auto batch = token_embeddings.size(0);
    const auto tokens = token_embeddings.size(1);
    const auto& positions = embeddings->position_embedding->weight;
    TORCH_CHECK(token_embeddings.dim() == 3 && token_embeddings.size(2) == positions.size(1),
                "text embeddings must be [batch, tokens, ", positions.size(1), "], got ", token_embeddings.sizes());
    TORCH_CHECK(tokens <= positions.size(0), "the text is ", tokens, " tokens; this model's context is ", positions.size(0));
    TORCH_CHECK(end_positions.numel() == batch, "one end position per text is needed");
    auto x = token_embeddings + positions.narrow(0, 0, tokens).unsqueeze(0);
    // Causal: a token sees itself and what precedes it, so padding after the end token is inert.
    const auto mask = torch::full({tokens, tokens}, -std::numeric_limits<float>::infinity(), x.options()).triu(1);
    x = final_layer_norm->forward(encoder->forward(x, mask));
    const auto rows = torch::arange(batch, torch::TensorOptions().dtype(torch::kInt64).device(x.device()));
    return x.index({rows, end_positions.to(x.device(), torch::kInt64).reshape({batch})});
}

ClipModelImpl::ClipModelImpl(const ClipConfig& config) : config_(config) {
    vision_model = register_module("vision_model", ClipVisionTransformer(config.vision));
    text_model = register_module("text_model", ClipTextTransformer(config.text));
    visual_projection = register_module(
        "visual_projection", torch::nn::Linear(torch::nn::LinearOptions(config.vision.hidden_size, config.projection_dim).bias(false)));
    text_projection = register_module(
        "text_projection", torch::nn::Linear(torch::nn::LinearOptions(config.text.hidden_size, config.projection_dim).bias(false)));
    logit_scale = register_parameter("logit_scale", torch::tensor(std::log(1 / 0.07), torch::kFloat32));
}

torch::Tensor ClipModelImpl::pooled_image(const torch::Tensor& pixels) { return vision_model->forward(pixels); }

torch::Tensor ClipModelImpl::encode_image(const torch::Tensor& pixels) {
    return visual_projection->forward(pooled_image(pixels));
}

torch::Tensor ClipModelImpl::embed_tokens(const torch::Tensor& ids) {
    return text_model->embeddings->token_embedding->forward(ids);
}

torch::Tensor ClipModelImpl::encode_text_embeddings(const torch::Tensor& token_embeddings, const torch::Tensor& end_positions) {
    return text_projection->forward(text_model->forward(token_embeddings, end_positions));
}

torch::Tensor ClipModelImpl::encode_text(const torch::Tensor& ids, const torch::Tensor& end_positions) {
    return encode_text_embeddings(embed_tokens(ids), end_positions);
}

std::map<std::string, ClipParameterShape> clip_parameter_shapes(const ClipConfig& config) {
    std::map<std::string, ClipParameterShape> shapes;
    auto tower = [&](const std::string& prefix, const ClipTowerConfig& tower_config, const std::string& section) {
        const auto h = tower_config.hidden_size;
        const auto f = tower_config.intermediate_size;
        const std::string width = section + " hidden_size";
        const std::string both = section + " hidden_size, intermediate_size";
        for (std::int64_t layer = 0; layer < tower_config.layers; ++layer) {
            const std::string at = prefix + ".encoder.layers." + std::to_string(layer) + ".";
            for (const char* projection : {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                shapes[at + "self_attn." + projection + ".weight"] = {{h, h}, width};
                shapes[at + "self_attn." + projection + ".bias"] = {{h}, width};
            }
            for (const char* norm : {"layer_norm1", "layer_norm2"}) {
                shapes[at + norm + ".weight"] = {{h}, width};
                shapes[at + norm + ".bias"] = {{h}, width};
            }
            shapes[at + "mlp.fc1.weight"] = {{f, h}, both};
            shapes[at + "mlp.fc1.bias"] = {{f}, section + " intermediate_size"};
            shapes[at + "mlp.fc2.weight"] = {{h, f}, both};
            shapes[at + "mlp.fc2.bias"] = {{h}, width};
        }
    };
    const auto& vision = config.vision;
    const auto& text = config.text;
    tower("vision_model", vision, "vision_config");
    tower("text_model", text, "text_config");
    const std::string vision_width = "vision_config hidden_size";
    shapes["vision_model.embeddings.class_embedding"] = {{vision.hidden_size}, vision_width};
    shapes["vision_model.embeddings.patch_embedding.weight"] = {
        {vision.hidden_size, vision.channels, vision.patch_size, vision.patch_size}, "vision_config hidden_size, patch_size"};
    shapes["vision_model.embeddings.position_embedding.weight"] = {{vision.patches() + 1, vision.hidden_size},
                                                                   "vision_config image_size, patch_size, hidden_size"};
    for (const char* norm : {"vision_model.pre_layrnorm", "vision_model.post_layernorm"}) {
        shapes[std::string(norm) + ".weight"] = {{vision.hidden_size}, vision_width};
        shapes[std::string(norm) + ".bias"] = {{vision.hidden_size}, vision_width};
    }
    shapes["text_model.embeddings.token_embedding.weight"] = {{text.vocabulary_size, text.hidden_size},
                                                              "text_config vocab_size, hidden_size"};
    shapes["text_model.embeddings.position_embedding.weight"] = {{text.max_positions, text.hidden_size},
                                                                 "text_config max_position_embeddings, hidden_size"};
    shapes["text_model.final_layer_norm.weight"] = {{text.hidden_size}, "text_config hidden_size"};
    shapes["text_model.final_layer_norm.bias"] = {{text.hidden_size}, "text_config hidden_size"};
    shapes["visual_projection.weight"] = {{config.projection_dim, vision.hidden_size}, "projection_dim, vision_config hidden_size"};
    shapes["text_projection.weight"] = {{config.projection_dim, text.hidden_size}, "projection_dim, text_config hidden_size"};
    shapes["logit_scale"] = {{}, "(none)"};
    return shapes;
}

void check_clip_weights(const ClipConfig& config, const SafetensorsFile& weights) {
    // Layer counts first: a wrong num_hidden_layers otherwise shows up as hundreds of missing
    // (or silently ignored) tensors.
    for (const auto& [prefix, section, layers] :
         {std::tuple{std::string("vision_model.encoder.layers."), "vision_config", config.vision.layers},
          std::tuple{std::string("text_model.encoder.layers."), "text_config", config.text.layers}}) {
        std::int64_t found = 0;
        for (const auto& [name, entry] : weights.entries()) {
            if (name.rfind(prefix, 0) != 0) continue;
            const std::int64_t index = std::strtoll(name.c_str() + prefix.size(), nullptr, 10);
            found = std::max(found, index + 1);
        }
        if (found != 0 && found != layers) {
            throw ModelError(ModelErrorKind::corrupt, std::string("config.json: ") + section + " num_hidden_layers is " +
                                                          std::to_string(layers) + " but model.safetensors has " +
                                                          std::to_string(found) + " such layers");
        }
    }
    std::vector<std::string> missing;
    for (const auto& [name, expected] : clip_parameter_shapes(config)) {
        const auto found = weights.entries().find(name);
        if (found == weights.entries().end()) {
            missing.push_back(name);
            continue;
        }
        const auto& entry = found->second;
        if (entry.shape != expected.shape) {
            throw ModelError(ModelErrorKind::corrupt, "model.safetensors: '" + name + "' has shape " + shape_text(entry.shape) +
                                                          " but config.json implies " + shape_text(expected.shape) + " (from " +
                                                          expected.fields + "): config.json does not describe these weights");
        }
        if (entry.dtype != "F32" && entry.dtype != "F16" && entry.dtype != "BF16" && entry.dtype != "F64") {
            throw ModelError(ModelErrorKind::unsupported, "model.safetensors: '" + name + "' holds " + entry.dtype +
                                                              " values; CLIP weights must be floating point (F32, F16, BF16 "
                                                              "or F64)");
        }
    }
    if (!missing.empty()) {
        std::string list;
        for (std::size_t i = 0; i < missing.size() && i < 5; ++i) list += (i ? ", " : "") + missing[i];
        if (missing.size() > 5) list += ", ...";
        throw ModelError(ModelErrorKind::missing, "model.safetensors lacks " + std::to_string(missing.size()) +
                                                      " CLIP weights (" + list +
                                                      "); is it a Hugging Face CLIPModel checkpoint of this config?");
    }
}

void load_clip_weights(ClipModel& model, const SafetensorsFile& weights) {
    torch::NoGradGuard no_grad;
    std::vector<std::string> missing;
    for (auto& item : model->named_parameters(true)) {
        const std::string& name = item.key();
        torch::Tensor& parameter = item.value();
        if (!weights.contains(name)) {
            missing.push_back(name);
            continue;
        }
        const auto& entry = weights.entries().at(name);
        if (torch::IntArrayRef(entry.shape) != parameter.sizes()) {
            throw ModelError(ModelErrorKind::corrupt, "model.safetensors: '" + name + "' has shape " +
                                                          shape_text(entry.shape) + " but config.json implies " +
                                                          shape_text(parameter.sizes()));
        }
        parameter.copy_(weights.tensor(name).to(parameter.dtype()));
        // NaN weights would turn every score into nan (and search would print them as results).
        if (!torch::isfinite(parameter).all().item<bool>()) {
            throw ModelError(ModelErrorKind::corrupt, "model.safetensors: '" + name + "' holds NaN or infinite values");
        }
    }
    if (!missing.empty()) {
        std::string list;
        for (std::size_t i = 0; i < missing.size() && i < 5; ++i) list += (i ? ", " : "") + missing[i];
        if (missing.size() > 5) list += ", ...";
        throw ModelError(ModelErrorKind::missing, "model.safetensors lacks " + std::to_string(missing.size()) +
                                                      " CLIP weights (" + list +
                                                      "); is it a Hugging Face CLIPModel checkpoint of this config?");
    }
}

ClipModel load_clip_model(const std::filesystem::path& folder) {
    if (!std::filesystem::is_directory(folder)) {
        throw ModelError(ModelErrorKind::missing, folder.string() + ": not a folder (a CLIP model folder holds config.json, "
                                                                    "model.safetensors, vocab.json and merges.txt)");
    }
    const auto config = ClipConfig::load(folder / "config.json");
    const auto weights_path = folder / "model.safetensors";
    if (!std::filesystem::exists(weights_path)) {
        const bool pickle = std::filesystem::exists(folder / "pytorch_model.bin");
        throw ModelError(ModelErrorKind::missing,
                         weights_path.string() + ": not found" +
                             (pickle ? " (the folder has only pytorch_model.bin, a Python pickle Corral does not read; "
                                       "download model.safetensors from the same repository)"
                                     : ""));
    }
    const auto weights = SafetensorsFile::open(weights_path);
    // Before the model exists: a config that does not fit the weights allocates nothing.
    check_clip_weights(config, weights);
    ClipModel model(config);
    load_clip_weights(model, weights);
    model->eval();
    return model;
}

}  // namespace corral::models
