#include "encoders/clip_encoder.h"

#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <future>
#include <map>
#include <thread>

#include "encoders/clip_preprocess.h"
#include "guard.h"
#include "tensor_bridge.h"

namespace corral::detail {
namespace {

std::uint64_t fnv1a(std::string_view bytes, std::uint64_t hash = 0xcbf29ce484222325ull) {
    for (unsigned char byte : bytes) {
        hash ^= byte;
        hash *= 0x100000001b3ull;
    }
    return hash;
}

std::string folder_identity(const std::filesystem::path& folder) {
    std::string config;
    if (FILE* file = std::fopen((folder / "config.json").c_str(), "rb")) {
        char buffer[4096];
        while (std::size_t read = std::fread(buffer, 1, sizeof buffer, file)) config.append(buffer, read);
        std::fclose(file);
    }
    struct stat status {};
    stat((folder / "model.safetensors").c_str(), &status);
    const std::string stamp = std::to_string(status.st_size) + ":" + std::to_string(status.st_mtim.tv_sec) + "." +
                              std::to_string(status.st_mtim.tv_nsec);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a(stamp, fnv1a(config))));
    return hex;
}

std::mutex& cache_mutex() {
    static std::mutex mutex;
    return mutex;
}

}  // namespace

Expected<torch::Tensor> load_clip_batch(const Dataset& dataset, std::int64_t begin, std::int64_t count, int size,
                                        const JobContext& job) {
    auto batch = torch::empty({count, 3, size, size}, torch::kUInt8);
    std::atomic<std::int64_t> next{0};
    std::vector<std::optional<Error>> errors(static_cast<std::size_t>(count));
    auto worker = [&] {
        for (std::int64_t i = next++; i < count && !job.stop_requested(); i = next++) {
            // An exception must not reach the top of a worker thread (std::terminate).
            auto placed = guarded("image #" + std::to_string(begin + i), [&]() -> Status {
                // CLIP resizes the short side to `size`: nothing larger needs decoding.
                auto image = dataset.load_image(begin + i, ImageRequest{size, false});
                if (!image) return image.error();
                if (image->empty() || (image->channels != 1 && image->channels != 3)) {
                    return make_error(ErrorCode::corrupt_data, dataset.item_name(begin + i) + ": not a grey or RGB image");
                }
                batch[i].copy_(clip_resize_and_crop(*image, size));
                return ok();
            });
            if (!placed) errors[static_cast<std::size_t>(i)] = placed.error();
        }
    };
    const unsigned workers = std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(), static_cast<unsigned>(count)));
    {
        std::vector<std::jthread> threads;
        for (unsigned t = 0; t < workers; ++t) threads.emplace_back(worker);
    }
    if (job.stop_requested()) return cancelled_error();
    for (auto& error : errors) {
        if (error) return *error;
    }
    return batch;
}


Expected<const models::ClipTokenizer*> ClipResources::tokenizer() {
    std::call_once(tokenizer_once_, [this] {
        auto loaded = guarded(folder.string(), [&]() -> Status {
            auto tokenizer = models::ClipTokenizer::from_folder(folder);
            if (tokenizer.vocabulary_size() > model->config().text.vocabulary_size) {
                return make_error(ErrorCode::corrupt_data,
                                  folder.string() + ": the tokenizer has " + std::to_string(tokenizer.vocabulary_size()) +
                                      " entries but config.json's text vocab_size is " +
                                      std::to_string(model->config().text.vocabulary_size));
            }
            tokenizer_.emplace(std::move(tokenizer));
            return ok();
        });
        if (!loaded) tokenizer_error_ = loaded.error();
    });
    if (tokenizer_error_) return *tokenizer_error_;
    return &*tokenizer_;
}

Expected<std::shared_ptr<ClipResources>> load_clip_resources(const std::filesystem::path& folder) {
    // One copy of the weights per process: image and text encoders of a folder share it.
    static std::map<std::string, std::weak_ptr<ClipResources>> loaded;
    std::error_code ignored;
    const auto canonical = std::filesystem::weakly_canonical(folder, ignored);
    const std::string identity = folder_identity(canonical);
    const std::string key = canonical.string() + "#" + identity;
    std::lock_guard lock(cache_mutex());
    if (auto existing = loaded[key].lock()) return existing;
    return guarded(folder.string(), [&]() -> Expected<std::shared_ptr<ClipResources>> {
        auto resources = std::make_shared<ClipResources>();
        resources->folder = canonical;
        resources->identity = identity;
        resources->model = models::load_clip_model(canonical);
        resources->model->to(compute_device());
        loaded[key] = resources;
        return resources;
    });
}

std::string ClipImageEncoder::id() const {
    const auto& vision = resources_->model->config().vision;
    return "clip-" + resources_->identity + "-image" + std::to_string(vision.image_size) + "-bicubic-crop-clipnorm";
}

Expected<FloatMatrix> ClipImageEncoder::encode(const Dataset& dataset, const JobContext& job) {
    return guarded("CLIP image encoder", [&]() -> Expected<FloatMatrix> {
        torch::InferenceMode inference;
        auto& model = resources_->model;
        const auto& config = model->config();
        const int size = static_cast<int>(config.vision.image_size);
        const std::int64_t n = dataset.size();
        FloatMatrix features(n, config.projection_dim);
        const auto device = compute_device();
        auto load = [&](std::int64_t begin) {
            return load_clip_batch(dataset, begin, std::min(batch_size_, n - begin), size, job);
        };
        // Decoding the next batch overlaps the network's work on this one.
        std::future<Expected<torch::Tensor>> pending;
        if (n > 0) pending = std::async(std::launch::async, load, 0);
        for (std::int64_t begin = 0; begin < n; begin += batch_size_) {
            auto batch = pending.get();
            if (!batch) return batch.error();
            if (begin + batch_size_ < n) pending = std::async(std::launch::async, load, begin + batch_size_);
            const auto output = model->encode_image(clip_normalize(*batch, device)).to(torch::kCPU, torch::kFloat32).contiguous();
            std::copy_n(output.data_ptr<float>(), output.numel(), features.row(begin).data());
            job.report(static_cast<double>(begin + output.size(0)) / n, "CLIP image features");
            if (job.stop_requested()) {
                if (pending.valid()) pending.wait();
                return cancelled_error();
            }
        }
        return features;
    });
}

std::string ClipTextEncoder::id() const { return "clip-" + resources_->identity + "-text"; }

Expected<FloatMatrix> ClipTextEncoder::encode(const std::vector<std::string>& texts, const JobContext& job) {
    return guarded("CLIP text encoder", [&]() -> Expected<FloatMatrix> {
        auto tokenizer = resources_->tokenizer();
        if (!tokenizer) return tokenizer.error();
        torch::InferenceMode inference;
        auto& model = resources_->model;
        const auto device = compute_device();
        constexpr std::size_t kBatch = 256;
        FloatMatrix features(static_cast<std::int64_t>(texts.size()), model->config().projection_dim);
        for (std::size_t begin = 0; begin < texts.size(); begin += kBatch) {
            if (job.stop_requested()) return cancelled_error();
            const std::vector<std::string> chunk(texts.begin() + static_cast<std::ptrdiff_t>(begin),
                                                 texts.begin() + static_cast<std::ptrdiff_t>(std::min(texts.size(), begin + kBatch)));
            const auto tokens = (*tokenizer)->tokenize(chunk, model->config().text.max_positions);
            const auto ends = torch::tensor(tokens.end_positions, torch::kInt64).to(device);
            const auto output = model->encode_text(tokens.ids.to(device), ends).to(torch::kCPU, torch::kFloat32).contiguous();
            std::copy_n(output.data_ptr<float>(), output.numel(), features.row(static_cast<std::int64_t>(begin)).data());
            job.report(static_cast<double>(begin + chunk.size()) / texts.size(), "CLIP text features");
        }
        return features;
    });
}

}  // namespace corral::detail
