#include <cstdio>
#include <fstream>

#include "convnet/augmentation.h"
#include "convnet/convnet_store.h"
#include "corral/core/convnet.h"
#include "encoders/image_batch.h"
#include "guard.h"
#include "tensor_bridge.h"

namespace corral {
namespace {

// FNV-1a over the file's bytes: cheap for a model of a few MB, and it changes with every weight.
Expected<std::string> file_fingerprint(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(ErrorCode::io_error, "cannot read " + path.string());
    std::uint64_t hash = 1469598103934665603ull;
    std::vector<char> buffer(1 << 16);
    while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        for (std::streamsize i = 0; i < in.gcount(); ++i) {
            hash = (hash ^ static_cast<unsigned char>(buffer[static_cast<std::size_t>(i)])) * 1099511628211ull;
        }
    }
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
    return std::string(text);
}

}  // namespace

Expected<ConvnetModelInfo> read_convnet_info(const std::filesystem::path& model_folder) {
    return detail::guarded(model_folder.string(), [&]() -> Expected<ConvnetModelInfo> {
        const auto path = detail::convnet_model_file(model_folder);
        const auto file = models::read_checkpoint(path);
        const auto checkpoint = detail::read_convnet_checkpoint_info(file, path);
        auto fingerprint = file_fingerprint(path);
        if (!fingerprint) return fingerprint.error();
        ConvnetModelInfo info;
        info.clusters = static_cast<int>(checkpoint.options.clusters);
        info.input_size = static_cast<int>(checkpoint.options.input_size);
        info.channels = static_cast<int>(checkpoint.options.input_channels);
        info.feature_dimension = static_cast<int>(models::convnet_feature_dimension(checkpoint.options));
        info.epochs_completed = checkpoint.epochs_completed;
        info.fingerprint = *fingerprint;
        return info;
    });
}

Expected<ConvnetPrediction> predict_with_convnet(const std::filesystem::path& model_folder, const Dataset& dataset,
                                                 const JobContext& job) {
    return detail::guarded("convnet prediction failed", [&]() -> Expected<ConvnetPrediction> {
        torch::InferenceMode inference;
        const auto device = detail::compute_device();
        auto loaded = detail::load_convnet(model_folder, device);
        const auto& options = loaded.info.options;
        const detail::ImageGeometry geometry{static_cast<int>(options.input_size), static_cast<int>(options.input_channels)};
        const auto count = dataset.size();
        auto prediction = detail::empty_prediction(loaded.model, count);
        constexpr std::int64_t chunk = 1024;
        for (std::int64_t begin = 0; begin < count; begin += chunk) {
            if (job.stop_requested()) return cancelled_error();
            const auto size = std::min(chunk, count - begin);
            const double total = static_cast<double>(count);
            auto images = detail::load_image_batch(dataset, begin, size, geometry,
                                                   job.stage(begin / total, (begin + size) / total));
            if (!images) return images.error();
            detail::predict_rows(loaded.model, detail::normalise_batch(images->to(device), loaded.info.normalisation), begin,
                                 prediction);
            job.report(static_cast<double>(begin + size) / static_cast<double>(count), "encoding with the convnet");
        }
        return prediction;
    });
}

Expected<ConvnetClusters> cluster_with_convnet_head(const std::filesystem::path& model_folder,
                                                    const FloatMatrix& features, const JobContext& job) {
    return detail::guarded("convnet cluster head failed", [&]() -> Expected<ConvnetClusters> {
        torch::InferenceMode inference;
        const auto device = detail::compute_device();
        auto loaded = detail::load_convnet(model_folder, device);
        const auto& options = loaded.info.options;
        const auto feature_dimension = models::convnet_feature_dimension(options);
        if (features.cols() != feature_dimension) {
            return make_error(ErrorCode::invalid_argument,
                              "the convnet's cluster head takes " + std::to_string(feature_dimension) +
                                  "-d features, not " + std::to_string(features.cols()) + "-d ones");
        }
        const auto count = features.rows();
        ConvnetClusters clusters;
        clusters.probabilities = FloatMatrix(count, options.clusters);
        clusters.assignment.resize(static_cast<std::size_t>(count));
        constexpr std::int64_t chunk = 8192;
        for (std::int64_t begin = 0; begin < count; begin += chunk) {
            if (job.stop_requested()) return cancelled_error();
            const auto size = std::min(chunk, count - begin);
            const auto rows = torch::from_blob(const_cast<float*>(features.row(begin).data()), {size, features.cols()},
                                               torch::kFloat32)
                                  .to(device);
            const auto probabilities = loaded.model->cluster_head()->forward(rows).to(torch::kCPU).contiguous();
            const auto assignment = probabilities.argmax(1).to(torch::kInt32).contiguous();
            std::copy_n(probabilities.data_ptr<float>(), probabilities.numel(), clusters.probabilities.row(begin).data());
            std::copy_n(assignment.data_ptr<int>(), size, clusters.assignment.begin() + begin);
            job.report(static_cast<double>(begin + size) / static_cast<double>(count), "the convnet's cluster head");
        }
        return clusters;
    });
}

std::optional<std::filesystem::path> convnet_folder_of(std::string_view encoder_spec) {
    constexpr std::string_view prefix = "convnet:";
    if (encoder_spec.substr(0, prefix.size()) != prefix || encoder_spec.size() == prefix.size()) return std::nullopt;
    return std::filesystem::path(std::string(encoder_spec.substr(prefix.size())));
}

}  // namespace corral
