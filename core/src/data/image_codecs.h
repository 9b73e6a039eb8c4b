#pragma once
// Private to core: the formats OpenCV 4.6 cannot read as a collection needs them. GIF is not
// among OpenCV's codecs at all, and its WebP reader fails on animated files and cannot decode
// at reduced size. Both return 8-bit BGRA (OpenCV's channel order) or an error message.
#include <opencv2/core.hpp>

#include <span>

#include "corral/core/expected.h"

namespace corral::detail {

// The first frame of a GIF (still or animated), drawn at its place on the logical screen;
// the rest of the screen and the frame's transparent colour are transparent.
Expected<cv::Mat> decode_gif_first_frame(std::span<const unsigned char> bytes);

// A still WebP scaled by libwebp while decoding to width x height (its own size when 0), or
// the first frame of an animated WebP at full size.
Expected<cv::Mat> decode_webp(std::span<const unsigned char> bytes, int width = 0, int height = 0);

}  // namespace corral::detail
