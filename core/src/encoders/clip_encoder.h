#pragma once
// Private to core: the `clip` encoders. A CLIP folder is loaded once per process and shared by
// its image and text encoders (and by Multi-Sub, which needs the torch-level model).
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>

#include "corral/core/encoder.h"
#include "corral/core/text_encoder.h"
#include "corral/models/clip_model.h"
#include "corral/models/clip_tokenizer.h"
#include "corral/models/model_error.h"

namespace corral::detail {

struct ClipResources {
    std::filesystem::path folder;
    models::ClipModel model{nullptr};  // evaluation mode, on compute_device()
    // Hash of config.json's bytes and model.safetensors' size and modification time: a changed or
    // replaced model gives a new identity, a moved folder keeps it.
    std::string identity;

    // The tokenizer, loaded on first use (an image-only folder needs none).
    Expected<const models::ClipTokenizer*> tokenizer();

private:
    std::once_flag tokenizer_once_;
    std::optional<models::ClipTokenizer> tokenizer_;
    std::optional<Error> tokenizer_error_;
};

// Loads (or finds already loaded) the CLIP model in `folder`.
Expected<std::shared_ptr<ClipResources>> load_clip_resources(const std::filesystem::path& folder);

// Decodes and CLIP-preprocesses items [begin, begin + count) on all cores: uint8 [count, 3, size, size].
Expected<torch::Tensor> load_clip_batch(const Dataset& dataset, std::int64_t begin, std::int64_t count, int size,
                                        const JobContext& job);

class ClipImageEncoder final : public ImageEncoder {
public:
    explicit ClipImageEncoder(std::shared_ptr<ClipResources> resources, std::int64_t batch_size = 32)
        : resources_(std::move(resources)), batch_size_(batch_size) {}
    std::string id() const override;
    // Projected image features [images, projection_dim]; images are decoded on a worker thread
    // one batch ahead of the network.
    Expected<FloatMatrix> encode(const Dataset& dataset, const JobContext& job) override;

private:
    std::shared_ptr<ClipResources> resources_;
    std::int64_t batch_size_;
};

class ClipTextEncoder final : public TextEncoder {
public:
    explicit ClipTextEncoder(std::shared_ptr<ClipResources> resources) : resources_(std::move(resources)) {}
    std::string id() const override;
    Expected<FloatMatrix> encode(const std::vector<std::string>& texts, const JobContext& job) override;

private:
    std::shared_ptr<ClipResources> resources_;
};

}  // namespace corral::detail
