#include "convnet/augmentation.h"

#include <cmath>

namespace corral::detail {
namespace {

torch::Tensor uniform(std::int64_t count, double low, double high, torch::Generator& generator) {
    return torch::rand({count}, generator, torch::kFloat32) * (high - low) + low;
}

}  // namespace

torch::Tensor augment_batch(const torch::Tensor& images, const AugmentationParams& params,
                            const Normalisation& normalisation, torch::Generator& generator) {
    const auto batch = images.size(0);
    const auto channels = images.size(1);
    const auto side = images.size(2);
    const auto device = images.device();
    // Per-image parameters are drawn on the CPU: few numbers, and the same stream on any device.
    const auto area = uniform(batch, params.min_crop_area, 1.0, generator);
    const auto log_ratio = uniform(batch, -std::log(params.max_aspect_change), std::log(params.max_aspect_change), generator);
    const auto ratio = log_ratio.exp();
    const auto width = (area * ratio).sqrt().clamp_max(1.0);
    const auto height = (area / ratio).sqrt().clamp_max(1.0);
    const auto shift_x = (uniform(batch, -1.0, 1.0, generator)) * (1.0 - width);
    const auto shift_y = (uniform(batch, -1.0, 1.0, generator)) * (1.0 - height);
    const auto flip = torch::where(uniform(batch, 0.0, 1.0, generator) < params.flip_probability,
                                   torch::full({batch}, -1.0f), torch::full({batch}, 1.0f));
    const auto brightness = uniform(batch, 1.0 - params.brightness, 1.0 + params.brightness, generator);
    const auto contrast = uniform(batch, 1.0 - params.contrast, 1.0 + params.contrast, generator);
    const auto grayscale = uniform(batch, 0.0, 1.0, generator) < params.grayscale_probability;
    const auto cutout = uniform(batch, 0.0, 1.0, generator) < params.cutout_probability;
    const auto cutout_half = uniform(batch, 0.0, params.cutout_side / 2.0, generator) * 2.0;  // in [-1, 1] units
    const auto cutout_x = uniform(batch, -1.0, 1.0, generator);
    const auto cutout_y = uniform(batch, -1.0, 1.0, generator);

    // An affine sampling grid maps output [-1, 1] to the crop window: scale, flip and shift at once.
    auto theta = torch::zeros({batch, 2, 3});
    theta.select(1, 0).select(1, 0).copy_(width * flip);
    theta.select(1, 0).select(1, 2).copy_(shift_x);
    theta.select(1, 1).select(1, 1).copy_(height);
    theta.select(1, 1).select(1, 2).copy_(shift_y);
    theta = theta.to(device);

    auto pixels = images.to(torch::kFloat32).div_(255.0);
    namespace F = torch::nn::functional;
    const auto grid = F::affine_grid(theta, {batch, channels, side, side}, false);
    pixels = F::grid_sample(pixels, grid,
                            F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(false));

    auto per_image = [&](const torch::Tensor& values) { return values.to(device).view({batch, 1, 1, 1}); };
    if (channels == 3) {
        const auto grey = (pixels.select(1, 0) * 0.299 + pixels.select(1, 1) * 0.587 + pixels.select(1, 2) * 0.114)
                              .unsqueeze(1)
                              .expand_as(pixels);
        pixels = torch::where(per_image(grayscale), grey, pixels);
    }
    const auto mean = pixels.mean({1, 2, 3}, true);
    pixels = ((pixels - mean) * per_image(contrast) + mean) * per_image(brightness);
    pixels = pixels.clamp_(0.0, 1.0);

    // Cutout: a square of grid coordinates set to the background (0), only where drawn.
    const auto coordinates = torch::linspace(-1.0, 1.0, side, torch::TensorOptions().device(device));
    const auto inside_x = (coordinates.view({1, side}) - per_image(cutout_x).view({batch, 1})).abs() <
                          per_image(cutout_half).view({batch, 1});
    const auto inside_y = (coordinates.view({1, side}) - per_image(cutout_y).view({batch, 1})).abs() <
                          per_image(cutout_half).view({batch, 1});
    const auto erase = (inside_y.unsqueeze(2) & inside_x.unsqueeze(1)) & per_image(cutout).view({batch, 1, 1});
    pixels = pixels.masked_fill(erase.unsqueeze(1), 0.0);

    pixels = (pixels - normalisation.mean) / normalisation.std;
    return pixels.contiguous(torch::MemoryFormat::ChannelsLast);
}

torch::Tensor normalise_batch(const torch::Tensor& images, const Normalisation& normalisation) {
    auto pixels = images.to(torch::kFloat32).div_(255.0);
    pixels = (pixels - normalisation.mean) / normalisation.std;
    return pixels.contiguous(torch::MemoryFormat::ChannelsLast);
}

Normalisation measure_normalisation(const torch::Tensor& images, std::int64_t sample) {
    const auto count = std::min<std::int64_t>(images.size(0), sample);
    const auto step = std::max<std::int64_t>(1, images.size(0) / std::max<std::int64_t>(1, count));
    const auto chosen = images.slice(0, 0, images.size(0), step).to(torch::kFloat64).div(255.0);
    Normalisation normalisation;
    normalisation.mean = chosen.mean().item<double>();
    normalisation.std = std::max(1e-3, chosen.std().item<double>());
    return normalisation;
}

}  // namespace corral::detail
