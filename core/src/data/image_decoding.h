#pragma once
// Decoding image files: OpenCV for PNG, JPEG, BMP, TIFF and PNM, giflib for GIF, libwebp for
// WebP, with the checks the decoders do not make themselves:
// - truncation (libjpeg fills a JPEG that lost its tail with grey and only warns);
// - size: the header's pixel count is checked against a per-image memory budget before any
//   pixel is decoded, so a small file claiming 32000 x 32000 pixels is refused, not allocated;
// - concurrency: decodes above kLargeDecodeBytes take one of kConcurrentLargeDecodes slots,
//   so the workers of one job cannot all hold a large image at once.
// Every decoder exception (cv::Exception, std::bad_alloc) becomes an error value.
#include <cstdint>
#include <filesystem>
#include <span>

#include "corral/core/expected.h"
#include "corral/core/image.h"

namespace corral::detail {

// The most memory one image may take while decoding (its decoded buffer at the depth the file
// stores, plus the 8-bit working copy). JPEGs over it are decoded at 1/2, 1/4 or 1/8 size;
// other images over it are refused.
inline constexpr std::int64_t kDecodeBudgetBytes = std::int64_t{512} << 20;
inline constexpr std::int64_t kLargeDecodeBytes = std::int64_t{64} << 20;
inline constexpr int kConcurrentLargeDecodes = 2;

bool has_image_extension(const std::filesystem::path& path);

// The most decodes above kLargeDecodeBytes that ran at once since the process started (tests).
int peak_concurrent_large_decodes();

// Decodes to 8-bit RGB (RGBA when `request.keep_alpha` and the image has transparency),
// transparency composited onto white otherwise, JPEG EXIF orientation applied, 16-bit
// samples scaled to 8, palettes and grey expanded to RGB, the first frame of an animation.
// A file that is unreadable, not an image, cut short or too large to decode is an error whose
// message names the file and why.
Expected<Image> decode_image_file(const std::filesystem::path& path, const ImageRequest& request = {});
Expected<Image> decode_image_bytes(std::span<const unsigned char> bytes, const std::string& name,
                                   const ImageRequest& request = {});

}  // namespace corral::detail
