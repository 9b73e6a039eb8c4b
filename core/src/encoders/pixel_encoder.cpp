#include "encoders/pixel_encoder.h"

#include <torch/torch.h>

#include "encoders/image_batch.h"
#include "tensor_bridge.h"

namespace corral::detail {
namespace {

constexpr std::int64_t kLoadBlock = 4096;
constexpr std::int64_t kPcaSample = 20000;  // rows used to fit the PCA; plenty for 128 components

}  // namespace

std::string PixelEncoder::id() const {
    return "pixels-" + (side_ > 0 ? std::to_string(side_) : std::string("native")) + "-pca" + std::to_string(components_) +
           "-whitened";
}

Expected<FloatMatrix> PixelEncoder::encode(const Dataset& dataset, const JobContext& job) {
    torch::InferenceMode inference;
    auto geometry = native_geometry(dataset);
    if (!geometry) return geometry.error();
    if (side_ > 0) geometry->side = side_;
    const std::int64_t n = dataset.size();
    const std::int64_t dimension = static_cast<std::int64_t>(geometry->side) * geometry->side * geometry->channels;
    auto pixels = torch::empty({n, dimension}, torch::kFloat32);
    for (std::int64_t begin = 0; begin < n; begin += kLoadBlock) {
        const std::int64_t count = std::min(kLoadBlock, n - begin);
        auto batch = load_image_batch(dataset, begin, count, *geometry, job.stage(0.0, 0.7));
        if (!batch) return batch.error();
        pixels.narrow(0, begin, count).copy_(batch->reshape({count, dimension}).to(torch::kFloat32).div_(255.0f));
        job.report(0.7 * static_cast<double>(begin + count) / n, "reading pixels");
    }
    const auto device = compute_device();
    auto data = pixels.to(device);
    const auto mean = data.mean(0, true);
    // Fit on an even-stride sample: the covariance of 20k rows is as good as of 70k for 128 components.
    const std::int64_t stride = std::max<std::int64_t>(1, n / kPcaSample);
    auto sample = data.index({torch::indexing::Slice(0, torch::indexing::None, stride)}) - mean;
    auto covariance = sample.t().mm(sample).div_(static_cast<double>(std::max<std::int64_t>(1, sample.size(0) - 1)))
                          .to(torch::kFloat64);
    job.report(0.8, "fitting PCA");
    auto [eigenvalues, eigenvectors] = torch::linalg::eigh(covariance, "L");
    const std::int64_t kept = std::min<std::int64_t>({components_, dimension, std::max<std::int64_t>(1, n - 1)});
    // eigh sorts ascending; the principal components are the last columns.
    auto top_values = eigenvalues.flip(0).narrow(0, 0, kept).clamp_min(0);
    auto top_vectors = eigenvectors.flip(1).narrow(1, 0, kept);
    // A small floor keeps near-zero-variance directions (constant border pixels) from exploding.
    const double floor = 1e-5 * top_values[0].item<double>() + 1e-12;
    auto projection = (top_vectors / (top_values + floor).sqrt().unsqueeze(0)).to(torch::kFloat32);
    if (job.stop_requested()) return cancelled_error();
    auto features = (data - mean).mm(projection);
    job.report(1.0, "pixels encoded");
    return to_matrix(features);
}

}  // namespace corral::detail
