#pragma once
// Private to core: what an image file says about itself before any pixel is decoded — its
// format, size and sample layout — read from the header bytes alone (PNG IHDR, JPEG SOF,
// GIF screen and first frame, WebP VP8/VP8L/VP8X, BMP info header, TIFF first IFD, PNM).
// This is what lets a decompression bomb be refused before anything is allocated for it.
#include <cstdint>
#include <span>
#include <string_view>

#include "corral/core/expected.h"

namespace corral::detail {

enum class ImageFormat { png, jpeg, gif, webp, bmp, tiff, pnm };

std::string_view format_name(ImageFormat format);

struct ImageHeader {
    ImageFormat format = ImageFormat::png;
    std::int64_t width = 0;
    std::int64_t height = 0;
    // Channels and bytes per sample of the largest buffer a decoder makes for it (palette and
    // grey+alpha images decode to 4 channels; 16-bit samples take 2 bytes).
    int channels = 3;
    int bytes_per_sample = 1;
    bool animated = false;  // only known for WebP, where an animation cannot be decoded at reduced size
};

// The header of an encoded image. corrupt_data when the bytes start like a known format but
// its header is cut short or impossible (zero or negative sizes), or are no format Corral reads.
Expected<ImageHeader> read_image_header(std::span<const unsigned char> bytes);

}  // namespace corral::detail
