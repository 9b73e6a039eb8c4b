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

// libjpeg decodes a JPEG that lost its tail into a grey-filled image with only a warning, so a
// truncated file would silently enter the dataset. A complete JPEG ends with the EOI marker and
// a complete PNG with the IEND chunk.
bool is_truncated(const std::vector<unsigned char>& bytes, const std::string& extension) {
    if (extension == ".jpg" || extension == ".jpeg") {
        std::size_t end = bytes.size();
        while (end > 2 && bytes[end - 1] == 0) --end;  // some writers pad with zeros
        return end < 4 || bytes[end - 2] != 0xFF || bytes[end - 1] != 0xD9;
    }
    if (extension == ".png") {
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
    if (is_truncated(bytes, lower_extension(path))) {
        return make_error(ErrorCode::corrupt_data, path.string() + ": image file is truncated");
    }
    cv::Mat decoded;
    try {
        decoded = cv::imdecode(bytes, cv::IMREAD_COLOR);
    } catch (const cv::Exception& error) {
        return make_error(ErrorCode::corrupt_data, path.string() + ": " + error.what());
    }
    if (decoded.empty()) return make_error(ErrorCode::corrupt_data, path.string() + ": not a decodable image");
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
