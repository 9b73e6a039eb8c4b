#include "data/image_decoding.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace corral::detail {
namespace {

std::string lower_extension(const std::filesystem::path& path) {
    std::string extension = path.extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return extension;
}

enum class ImageSignature { jpeg, png, other };

// By content, not by name: a PNG saved as .jpg is common and decodes fine.
ImageSignature signature_of(const std::vector<unsigned char>& bytes) {
    static constexpr std::array<unsigned char, 3> jpeg{0xFF, 0xD8, 0xFF};
    static constexpr std::array<unsigned char, 8> png{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (bytes.size() >= jpeg.size() && std::equal(jpeg.begin(), jpeg.end(), bytes.begin())) return ImageSignature::jpeg;
    if (bytes.size() >= png.size() && std::equal(png.begin(), png.end(), bytes.begin())) return ImageSignature::png;
    return ImageSignature::other;
}

// libjpeg decodes a JPEG that lost its tail into a grey-filled image with only a warning, so a
// truncated file would silently enter the dataset. A complete JPEG ends with the EOI marker and
// a complete PNG with the IEND chunk.
bool is_truncated(const std::vector<unsigned char>& bytes, ImageSignature signature) {
    if (signature == ImageSignature::jpeg) {
        std::size_t end = bytes.size();
        while (end > 2 && bytes[end - 1] == 0) --end;  // some writers pad with zeros
        return end < 4 || bytes[end - 2] != 0xFF || bytes[end - 1] != 0xD9;
    }
    if (signature == ImageSignature::png) {
        static constexpr std::array<unsigned char, 4> iend{'I', 'E', 'N', 'D'};
        return bytes.size() < 12 || !std::equal(iend.begin(), iend.end(), bytes.end() - 8);
    }
    return false;
}

}  // namespace

bool has_image_extension(const std::filesystem::path& path) {
    static const std::array<std::string, 11> known{".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff",
                                                   ".webp", ".pgm", ".ppm", ".pbm", ".pnm"};
    const std::string extension = lower_extension(path);
    return std::find(known.begin(), known.end(), extension) != known.end();
}

Expected<Image> decode_image_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(ErrorCode::io_error, path.string() + ": cannot open for reading");
    std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return make_error(ErrorCode::io_error, path.string() + ": read failed");
    if (bytes.empty()) return make_error(ErrorCode::corrupt_data, path.string() + ": empty file");
    if (is_truncated(bytes, signature_of(bytes))) {
        return make_error(ErrorCode::corrupt_data, path.string() + ": image file is truncated");
    }
    cv::Mat decoded;
    try {
        decoded = cv::imdecode(bytes, cv::IMREAD_COLOR);
    } catch (const cv::Exception& error) {
        return make_error(ErrorCode::corrupt_data, path.string() + ": " + error.what());
    }
    if (decoded.empty()) {
        return make_error(ErrorCode::corrupt_data, path.string() + ": not an image (unknown or damaged format)");
    }
    cv::Mat rgb;
    cv::cvtColor(decoded, rgb, cv::COLOR_BGR2RGB);
    Image image{rgb.cols, rgb.rows, 3, {}};
    image.pixels.resize(static_cast<std::size_t>(rgb.cols) * rgb.rows * 3);
    for (int y = 0; y < rgb.rows; ++y) {
        std::copy_n(rgb.ptr<std::uint8_t>(y), static_cast<std::size_t>(rgb.cols) * 3,
                    image.pixels.data() + static_cast<std::size_t>(y) * rgb.cols * 3);
    }
    return image;
}

}  // namespace corral::detail
