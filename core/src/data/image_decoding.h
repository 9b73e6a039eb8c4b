#pragma once
// Decoding image files with OpenCV, with the truncation checks OpenCV itself does not make.
#include <filesystem>

#include "corral/core/expected.h"
#include "corral/core/image.h"

namespace corral::detail {

bool has_image_extension(const std::filesystem::path& path);
// Decodes to 8-bit RGB. A file that is unreadable, not an image, or cut short is an error.
Expected<Image> decode_image_file(const std::filesystem::path& path);

}  // namespace corral::detail
