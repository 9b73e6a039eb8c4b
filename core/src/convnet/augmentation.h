#pragma once
// Private to core: the random image transformations contrastive training compares, done for a
// whole batch at once with tensor ops (one grid_sample for crop, scale and flip) on any device.
#include <torch/torch.h>

namespace corral::detail {

struct AugmentationParams {
    double min_crop_area = 0.3;       // random resized crop keeps 30..100% of the image area
    double max_aspect_change = 4.0 / 3.0;
    double flip_probability = 0.5;    // horizontal
    double brightness = 0.4;          // multiply by U(1 - b, 1 + b)
    double contrast = 0.4;            // scale the deviation from the image mean by U(1 - c, 1 + c)
    double grayscale_probability = 0.2;  // RGB only
    double cutout_probability = 0.5;  // erase one square of up to cutout_side of the image side
    double cutout_side = 0.4;
};

// Mean and standard deviation of the pixel values (in [0, 1]) the network sees.
struct Normalisation {
    double mean = 0.5;
    double std = 0.25;
};

// images: uint8 [batch, channels, side, side] on any device. Random draws come from `generator`
// (a CPU generator) so that a seed reproduces a run on every device. Returns normalised float32
// images of the same shape, channels-last, on the images' device.
torch::Tensor augment_batch(const torch::Tensor& images, const AugmentationParams& params,
                            const Normalisation& normalisation, torch::Generator& generator);

// The same images without augmentation: converted to float and normalised.
torch::Tensor normalise_batch(const torch::Tensor& images, const Normalisation& normalisation);

// Pixel statistics of (up to `sample` of) uint8 images [count, channels, side, side].
Normalisation measure_normalisation(const torch::Tensor& images, std::int64_t sample = 10000);

}  // namespace corral::detail
