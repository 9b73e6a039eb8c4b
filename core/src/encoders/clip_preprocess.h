#pragma once
// Private to core: CLIP's image preprocessing, as OpenAI's and Hugging Face's pipelines do it —
// resize the short side to `size` with PIL-style antialiased bicubic (rounded to 8 bits, as PIL
// returns), centre crop to size x size, then scale to [0, 1] and normalise with CLIP's mean/std.
#include <torch/torch.h>

#include "corral/core/image.h"

namespace corral::detail {

// uint8 [3, size, size] (grey images are repeated over the three channels).
torch::Tensor clip_resize_and_crop(const Image& image, int size);
// uint8 [batch, 3, size, size] -> float32 normalised pixels on `device`.
torch::Tensor clip_normalize(const torch::Tensor& pixels, torch::Device device);

}  // namespace corral::detail
