#pragma once
// A decoded image in memory: 8-bit, row-major, interleaved channels (1 = grey, 3 = RGB,
// 4 = RGBA with straight, not premultiplied, alpha).
#include <cstdint>
#include <vector>

namespace corral {

struct Image {
    int width = 0;
    int height = 0;
    int channels = 0;  // 1 (grey), 3 (RGB, in that order) or 4 (RGBA, only when asked for)
    std::vector<std::uint8_t> pixels;  // height * width * channels bytes

    bool empty() const { return pixels.empty(); }
    std::uint8_t at(int y, int x, int channel) const {
        return pixels[(static_cast<std::size_t>(y) * width + x) * channels + channel];
    }
};

// How a dataset decodes an image file (packed datasets ignore it: their images are tiny).
struct ImageRequest {
    // 0: full size. Otherwise the decoder may return the image reduced (JPEG by 2, 4 or 8,
    // WebP to any size) as long as both sides stay at least this long. Encoders and thumbnails
    // ask for what they will resize to, so a 24-megapixel photo is never decoded in full for a
    // 96-pixel thumbnail.
    int min_side_px = 0;
    // false: transparent pixels are composited onto white and the image is RGB (or grey for
    // packed datasets) — what every encoder, thumbnail and question sees. true: an image with
    // transparency comes back RGBA, for a viewer that shows transparency as such.
    bool keep_alpha = false;
};

}  // namespace corral
