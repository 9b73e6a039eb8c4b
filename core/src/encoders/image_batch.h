#pragma once
// Private to core: decoding dataset images into one uint8 tensor for encoders.
#include <torch/torch.h>

#include "corral/core/dataset.h"

namespace corral::detail {

struct ImageGeometry {
    int side = 32;     // output images are side x side
    int channels = 3;  // 1 (grey) or 3 (RGB)
};

// The geometry a dataset's first image suggests: its own size when small (<= 48 px), else 32 px.
Expected<ImageGeometry> native_geometry(const Dataset& dataset);

// uint8 [count, channels, side, side] for items [begin, begin + count), resized with area
// interpolation (downscale) or bilinear (upscale), decoded on all cores. Reports the fraction of
// the `count` images decoded (from the decoding threads, one at a time).
Expected<torch::Tensor> load_image_batch(const Dataset& dataset, std::int64_t begin, std::int64_t count,
                                         const ImageGeometry& geometry, const JobContext& job);

// Every image of the dataset as one uint8 [count, channels, side, side] CPU tensor (decoded in
// chunks, progress reported per chunk): for training, which draws from it thousands of times.
Expected<torch::Tensor> load_all_images(const Dataset& dataset, const ImageGeometry& geometry, const JobContext& job);

}  // namespace corral::detail
