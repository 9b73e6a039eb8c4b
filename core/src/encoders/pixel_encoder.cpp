#include "encoders/pixel_encoder.h"

#include <torch/torch.h>

#include "encoders/image_batch.h"
#include "encoders/pixel_pca.h"
#include "guard.h"
#include "tensor_bridge.h"

namespace corral::detail {
namespace {

constexpr std::int64_t kLoadBlock = 4096;
constexpr std::int64_t kPcaSample = 20000;  // rows used to fit the PCA; plenty for 128 components
constexpr double kReadingShare = 0.7;       // of the progress: decoding the images

Expected<FloatMatrix> encode_pixels(const Dataset& dataset, int side, int components, const JobContext& job) {
    torch::InferenceMode inference;
    auto geometry = native_geometry(dataset);
    if (!geometry) return geometry.error();
    if (side > 0) geometry->side = side;
    const std::int64_t n = dataset.size();
    const std::int64_t dimension = static_cast<std::int64_t>(geometry->side) * geometry->side * geometry->channels;
    auto pixels = torch::empty({n, dimension}, torch::kFloat32);
    for (std::int64_t begin = 0; begin < n; begin += kLoadBlock) {
        const std::int64_t count = std::min(kLoadBlock, n - begin);
        const double total = static_cast<double>(n);
        auto batch = load_image_batch(dataset, begin, count, *geometry,
                                      job.stage(kReadingShare * begin / total, kReadingShare * (begin + count) / total));
        if (!batch) return batch.error();
        pixels.narrow(0, begin, count).copy_(batch->reshape({count, dimension}).to(torch::kFloat32).div_(255.0f));
        job.report(kReadingShare * static_cast<double>(begin + count) / total, "reading pixels");
    }
    const auto device = compute_device();
    auto data = pixels.to(device);
    pixels = torch::Tensor();
    // Centred in place: one copy of the pixels, however large the images.
    data.sub_(data.mean(0, true));
    // Fit on an even-stride sample: 20k rows give the leading 128 components as well as 70k do.
    const std::int64_t stride = std::max<std::int64_t>(1, n / kPcaSample);
    const auto sample = data.index({torch::indexing::Slice(0, torch::indexing::None, stride)}).contiguous();
    job.report(0.8, "fitting PCA");
    auto fitted = leading_principal_directions(sample, components, job.stage(0.8, 0.95));
    if (!fitted) return fitted.error();
    const auto& values = fitted->variances;
    // A small floor keeps near-zero-variance directions (constant border pixels) from exploding.
    const double floor = 1e-5 * values[0].item<double>() + 1e-12;
    const auto projection = (fitted->directions / (values + floor).sqrt().unsqueeze(0)).to(torch::kFloat32);
    if (job.stop_requested()) return cancelled_error();
    auto features = torch::empty({n, projection.size(1)}, data.options());
    for (std::int64_t begin = 0; begin < n; begin += kLoadBlock) {
        const std::int64_t count = std::min(kLoadBlock, n - begin);
        features.narrow(0, begin, count).copy_(data.narrow(0, begin, count).mm(projection));
    }
    job.report(1.0, "pixels encoded");
    return to_matrix(features);
}

}  // namespace

std::string PixelEncoder::id() const {
    return "pixels-" + (side_ > 0 ? std::to_string(side_) : std::string("native")) + "-pca" + std::to_string(components_) +
           "-whitened";
}

Expected<FloatMatrix> PixelEncoder::encode(const Dataset& dataset, const JobContext& job) {
    return guarded("pixels encoder", [&] { return encode_pixels(dataset, side_, components_, job); });
}

}  // namespace corral::detail
