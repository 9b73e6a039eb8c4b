#include "encoders/clip_preprocess.h"

#include <cmath>

namespace corral::detail {

torch::Tensor clip_resize_and_crop(const Image& image, int size) {
    auto pixels = torch::from_blob(const_cast<std::uint8_t*>(image.pixels.data()), {image.height, image.width, image.channels},
                                   torch::kUInt8)
                      .permute({2, 0, 1});
    if (image.channels == 1) pixels = pixels.expand({3, image.height, image.width});
    // torchvision Resize(int): the short side becomes `size`, the long side is truncated, not rounded.
    const bool wide = image.width >= image.height;
    const std::int64_t short_side = wide ? image.height : image.width;
    const std::int64_t long_side = wide ? image.width : image.height;
    const std::int64_t resized_long = static_cast<std::int64_t>(static_cast<double>(size) * long_side / short_side);
    const std::int64_t height = wide ? size : resized_long;
    const std::int64_t width = wide ? resized_long : size;
    torch::Tensor resized;
    if (height == image.height && width == image.width) {
        resized = pixels.contiguous();
    } else {
        // Antialiased bicubic is torch's port of PIL's filter (a = -0.5, support scaled when shrinking).
        auto smooth = torch::nn::functional::interpolate(
            pixels.unsqueeze(0).to(torch::kFloat32),
            torch::nn::functional::InterpolateFuncOptions()
                .size(std::vector<std::int64_t>{height, width})
                .mode(torch::kBicubic)
                .align_corners(false)
                .antialias(true));
        resized = smooth.squeeze(0).round_().clamp_(0, 255).to(torch::kUInt8);
    }
    // torchvision CenterCrop rounds the offsets half to even, as Python's round does.
    const auto top = static_cast<std::int64_t>(std::nearbyint((height - size) / 2.0));
    const auto left = static_cast<std::int64_t>(std::nearbyint((width - size) / 2.0));
    return resized.narrow(1, top, size).narrow(2, left, size).contiguous();
}

torch::Tensor clip_normalize(const torch::Tensor& pixels, torch::Device device) {
    static const float kMean[3] = {0.48145466f, 0.4578275f, 0.40821073f};
    static const float kStd[3] = {0.26862954f, 0.26130258f, 0.27577711f};
    const auto options = torch::TensorOptions().dtype(torch::kFloat32);
    const auto mean = torch::from_blob(const_cast<float*>(kMean), {1, 3, 1, 1}, options).to(device);
    const auto std = torch::from_blob(const_cast<float*>(kStd), {1, 3, 1, 1}, options).to(device);
    return (pixels.to(device).to(torch::kFloat32).div_(255.0f) - mean) / std;
}

}  // namespace corral::detail
