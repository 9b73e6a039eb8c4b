#pragma once
// CLIP in LibTorch: the ViT vision tower, the causal text transformer and their projections,
// with Hugging Face CLIPModel parameter names (named_parameters() equals the checkpoint's keys),
// so weights load from model.safetensors by name. Inputs live on the model's device and dtype.
// Forward passes are read-only and may run concurrently under torch::InferenceMode.
#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "corral/models/clip_config.h"
#include "corral/models/safetensors.h"

namespace corral::models {

class ClipAttentionImpl : public torch::nn::Module {
public:
    ClipAttentionImpl(std::int64_t hidden_size, std::int64_t heads);
    // x [batch, tokens, hidden]; mask broadcastable to [batch, heads, tokens, tokens] or undefined.
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask);

private:
    // One [3*hidden, hidden] weight for q, k and v (q pre-scaled), rebuilt when a projection's
    // storage or version changes; used only when no gradient is recorded.
    const torch::Tensor& fused_projection_weight();
    std::int64_t heads_;
    torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};
    torch::Tensor fused_weight_, fused_bias_;
    std::vector<std::pair<const void*, std::uint32_t>> fused_sources_;
};
TORCH_MODULE(ClipAttention);

class ClipMlpImpl : public torch::nn::Module {
public:
    explicit ClipMlpImpl(const ClipTowerConfig& config);
    torch::Tensor forward(const torch::Tensor& x);

private:
    ClipActivation activation_;
    torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(ClipMlp);

// Pre-norm residual block: x + attn(ln1(x)), then + mlp(ln2(x)).
class ClipEncoderLayerImpl : public torch::nn::Module {
public:
    explicit ClipEncoderLayerImpl(const ClipTowerConfig& config);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask);

private:
    ClipAttention self_attn{nullptr};
    torch::nn::LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr};
    ClipMlp mlp{nullptr};
};
TORCH_MODULE(ClipEncoderLayer);

class ClipTransformerImpl : public torch::nn::Module {
public:
    explicit ClipTransformerImpl(const ClipTowerConfig& config);
    torch::Tensor forward(torch::Tensor x, const torch::Tensor& mask);

private:
    torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(ClipTransformer);

class ClipVisionEmbeddingsImpl : public torch::nn::Module {
public:
    explicit ClipVisionEmbeddingsImpl(const ClipVisionConfig& config);
    // pixels [batch, channels, image_size, image_size] -> [batch, patches + 1, hidden]
    torch::Tensor forward(const torch::Tensor& pixels);

private:
    ClipVisionConfig config_;
    torch::Tensor class_embedding;
    torch::nn::Conv2d patch_embedding{nullptr};
    torch::nn::Embedding position_embedding{nullptr};
};
TORCH_MODULE(ClipVisionEmbeddings);

class ClipVisionTransformerImpl : public torch::nn::Module {
public:
    explicit ClipVisionTransformerImpl(const ClipVisionConfig& config);
    // pixels -> pooled [batch, hidden] (post_layernorm of the class token)
    torch::Tensor forward(const torch::Tensor& pixels);

private:
    ClipVisionEmbeddings embeddings{nullptr};
    torch::nn::LayerNorm pre_layrnorm{nullptr};  // sic: Hugging Face's name
    ClipTransformer encoder{nullptr};
    torch::nn::LayerNorm post_layernorm{nullptr};
};
TORCH_MODULE(ClipVisionTransformer);

class ClipTextEmbeddingsImpl : public torch::nn::Module {
public:
    explicit ClipTextEmbeddingsImpl(const ClipTextConfig& config);
    torch::nn::Embedding token_embedding{nullptr};
    torch::nn::Embedding position_embedding{nullptr};
};
TORCH_MODULE(ClipTextEmbeddings);

class ClipTextTransformerImpl : public torch::nn::Module {
public:
    explicit ClipTextTransformerImpl(const ClipTextConfig& config);
    // token_embeddings [batch, tokens <= max_positions, hidden] (positions are added here),
    // end_positions int64 [batch] -> pooled [batch, hidden] (final_layer_norm at each end token)
    torch::Tensor forward(const torch::Tensor& token_embeddings, const torch::Tensor& end_positions);
    ClipTextEmbeddings embeddings{nullptr};

private:
    ClipTransformer encoder{nullptr};
    torch::nn::LayerNorm final_layer_norm{nullptr};
};
TORCH_MODULE(ClipTextTransformer);

class ClipModelImpl : public torch::nn::Module {
public:
    explicit ClipModelImpl(const ClipConfig& config);

    // Normalised pixels [batch, 3, image_size, image_size] -> image features [batch, projection_dim].
    torch::Tensor encode_image(const torch::Tensor& pixels);
    // Token ids int64 [batch, tokens] and the index of each row's end token -> [batch, projection_dim].
    torch::Tensor encode_text(const torch::Tensor& ids, const torch::Tensor& end_positions);
    // The token embedding lookup alone: [batch, tokens] -> [batch, tokens, text hidden]. Edit the
    // result (e.g. put a learned vector where a placeholder token was) and pass it on:
    torch::Tensor embed_tokens(const torch::Tensor& ids);
    torch::Tensor encode_text_embeddings(const torch::Tensor& token_embeddings, const torch::Tensor& end_positions);

    // The image tower's pooled output before visual_projection, and the projection itself, for
    // callers that train the projection on cached pooled features.
    torch::Tensor pooled_image(const torch::Tensor& pixels);
    torch::nn::Linear& image_projection() { return visual_projection; }

    const ClipConfig& config() const { return config_; }
    torch::Tensor logit_scale;

private:
    ClipConfig config_;
    ClipVisionTransformer vision_model{nullptr};
    ClipTextTransformer text_model{nullptr};
    torch::nn::Linear visual_projection{nullptr};
    torch::nn::Linear text_projection{nullptr};
};
TORCH_MODULE(ClipModel);

// Every parameter a CLIPModel of `config` has (Hugging Face names), its shape, and the
// config.json fields that shape follows from; computed without building the model.
struct ClipParameterShape {
    std::vector<std::int64_t> shape;
    std::string fields;  // "vision_config hidden_size, patch_size"
};
std::map<std::string, ClipParameterShape> clip_parameter_shapes(const ClipConfig& config);

// Checks the file's header against the config before anything is allocated: the layer counts,
// every parameter present with the shape the config implies, and a floating-point dtype (F32,
// F16, BF16, F64). Throws ModelError naming config.json's field at fault (corrupt), or the
// missing tensors (missing), or the dtype (unsupported).
void check_clip_weights(const ClipConfig& config, const SafetensorsFile& weights);

// Copies every parameter of `model` from the file by name (converting F16/BF16/F64 to the
// parameter's dtype) after check_clip_weights. Throws ModelError: missing (a parameter absent
// from the file), corrupt (a shape that disagrees with the config, or NaN or infinite values).
// Tensors in the file the model lacks are ignored.
void load_clip_weights(ClipModel& model, const SafetensorsFile& weights);

// config.json + model.safetensors from a Hugging Face CLIP folder, in evaluation mode on the CPU.
ClipModel load_clip_model(const std::filesystem::path& folder);

}  // namespace corral::models
