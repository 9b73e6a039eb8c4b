#include "data/image_decoding.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <new>
#include <semaphore>
#include <string>
#include <vector>

#include "data/image_codecs.h"
#include "data/image_header.h"

namespace corral::detail {
namespace {

std::string lower_extension(const std::filesystem::path& path) {
    std::string extension = path.extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return extension;
}

// Binary units, so the budget reads as the round number it is (512 MiB, not 537 MB).
std::string megabytes(std::int64_t bytes) {
    char text[32];
    if (bytes >= (std::int64_t{1} << 30)) {
        std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(bytes) / static_cast<double>(1 << 30));
    } else {
        std::snprintf(text, sizeof text, "%.0f MiB", static_cast<double>(bytes) / static_cast<double>(1 << 20));
    }
    return text;
}

// OpenCV's messages end in a newline.
std::string trimmed(std::string text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    return text;
}

// libjpeg decodes a JPEG that lost its tail into a grey-filled image with only a warning, so a
// truncated file would silently enter the dataset. A complete JPEG ends with the EOI marker and
// a complete PNG with the IEND chunk.
bool is_truncated(std::span<const unsigned char> bytes, ImageFormat format) {
    if (format == ImageFormat::jpeg) {
        std::size_t end = bytes.size();
        while (end > 2 && bytes[end - 1] == 0) --end;  // some writers pad with zeros
        return end < 4 || bytes[end - 2] != 0xFF || bytes[end - 1] != 0xD9;
    }
    if (format == ImageFormat::png) {
        static constexpr std::array<unsigned char, 4> iend{'I', 'E', 'N', 'D'};
        return bytes.size() < 12 || !std::equal(iend.begin(), iend.end(), bytes.end() - 8);
    }
    return false;
}

// How an image will be decoded: at which size, and what that takes.
struct DecodePlan {
    int jpeg_reduction = 1;  // 1, 2, 4 or 8
    int width = 0;           // the decoder's output size
    int height = 0;
    std::int64_t bytes = 0;
};

std::int64_t decode_cost(const ImageHeader& header, std::int64_t width, std::int64_t height) {
    // The decoder's buffer at the file's depth, plus the 8-bit RGBA working copy.
    return width * height * (header.channels * header.bytes_per_sample + 4);
}

std::int64_t ceil_div(std::int64_t value, int divisor) { return (value + divisor - 1) / divisor; }

Expected<DecodePlan> plan_decode(const ImageHeader& header, const ImageRequest& request) {
    DecodePlan plan;
    plan.width = static_cast<int>(header.width);
    plan.height = static_cast<int>(header.height);
    const std::int64_t short_side = std::min(header.width, header.height);
    if (header.format == ImageFormat::jpeg) {
        // The largest reduction that keeps the requested size, then more while over the budget.
        if (request.min_side_px > 0) {
            while (plan.jpeg_reduction < 8 && short_side / (plan.jpeg_reduction * 2) >= request.min_side_px) {
                plan.jpeg_reduction *= 2;
            }
        }
        while (plan.jpeg_reduction < 8 &&
               decode_cost(header, ceil_div(header.width, plan.jpeg_reduction), ceil_div(header.height, plan.jpeg_reduction)) >
                   kDecodeBudgetBytes) {
            plan.jpeg_reduction *= 2;
        }
        plan.width = static_cast<int>(ceil_div(header.width, plan.jpeg_reduction));
        plan.height = static_cast<int>(ceil_div(header.height, plan.jpeg_reduction));
    } else if (header.format == ImageFormat::webp && !header.animated) {
        double scale = 1.0;
        if (request.min_side_px > 0 && short_side > request.min_side_px) {
            scale = static_cast<double>(request.min_side_px) / static_cast<double>(short_side);
        }
        const double full_cost = static_cast<double>(decode_cost(header, header.width, header.height));
        if (full_cost * scale * scale > static_cast<double>(kDecodeBudgetBytes)) {
            scale = std::sqrt(static_cast<double>(kDecodeBudgetBytes) / full_cost);
        }
        plan.width = std::max(1, static_cast<int>(std::ceil(static_cast<double>(header.width) * scale)));
        plan.height = std::max(1, static_cast<int>(std::ceil(static_cast<double>(header.height) * scale)));
    }
    plan.bytes = decode_cost(header, plan.width, plan.height);
    if (plan.bytes > kDecodeBudgetBytes) {
        return make_error(ErrorCode::unsupported,
                          std::to_string(header.width) + " x " + std::to_string(header.height) + " pixels would take " +
                              megabytes(plan.bytes) + " to decode, more than the " + megabytes(kDecodeBudgetBytes) +
                              " one image may use (a decompression bomb, or far larger than a collection needs)");
    }
    return plan;
}

std::counting_semaphore<kConcurrentLargeDecodes>& large_decode_slots() {
    static std::counting_semaphore<kConcurrentLargeDecodes> slots(kConcurrentLargeDecodes);
    return slots;
}

std::atomic<int> large_decodes_running{0};
std::atomic<int> large_decodes_peak{0};

class LargeDecodeSlot {
public:
    explicit LargeDecodeSlot(bool needed) : held_(needed) {
        if (!held_) return;
        large_decode_slots().acquire();
        const int running = ++large_decodes_running;
        int peak = large_decodes_peak.load();
        while (running > peak && !large_decodes_peak.compare_exchange_weak(peak, running)) {
        }
    }
    ~LargeDecodeSlot() {
        if (!held_) return;
        --large_decodes_running;
        large_decode_slots().release();
    }
    LargeDecodeSlot(const LargeDecodeSlot&) = delete;
    LargeDecodeSlot& operator=(const LargeDecodeSlot&) = delete;

private:
    bool held_;
};

Expected<cv::Mat> run_decoder(std::span<const unsigned char> bytes, const ImageHeader& header, const DecodePlan& plan) {
    if (header.format == ImageFormat::gif) return decode_gif_first_frame(bytes);
    if (header.format == ImageFormat::webp) return decode_webp(bytes, plan.width, plan.height);
    const cv::Mat encoded(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<unsigned char*>(bytes.data()));
    int flags = cv::IMREAD_UNCHANGED;  // keeps alpha and 16-bit samples; JPEGs have neither
    if (header.format == ImageFormat::jpeg) {
        // IMREAD_COLOR applies the EXIF orientation and converts CMYK and grey to BGR.
        flags = plan.jpeg_reduction == 8   ? cv::IMREAD_REDUCED_COLOR_8
                : plan.jpeg_reduction == 4 ? cv::IMREAD_REDUCED_COLOR_4
                : plan.jpeg_reduction == 2 ? cv::IMREAD_REDUCED_COLOR_2
                                           : cv::IMREAD_COLOR;
    }
    cv::Mat decoded = cv::imdecode(encoded, flags);
    if (decoded.empty()) return make_error(ErrorCode::corrupt_data, "image data is damaged");
    return decoded;
}

Expected<cv::Mat> to_8_bit(const cv::Mat& decoded) {
    switch (decoded.depth()) {
        case CV_8U: return decoded;
        case CV_16U: {
            cv::Mat converted;
            decoded.convertTo(converted, CV_8U, 255.0 / 65535.0);
            return converted;
        }
        case CV_32F:
        case CV_64F: {  // floating-point TIFFs hold [0, 1]
            cv::Mat converted;
            decoded.convertTo(converted, CV_8U, 255.0);
            return converted;
        }
        default: return make_error(ErrorCode::unsupported, "signed or 32-bit integer samples are not supported");
    }
}

// Straight alpha over white, rounded: c' = (c a + 255 (255 - a)) / 255.
cv::Mat composite_on_white(const cv::Mat& bgra) {
    cv::Mat rgb(bgra.rows, bgra.cols, CV_8UC3);
    for (int y = 0; y < bgra.rows; ++y) {
        const std::uint8_t* in = bgra.ptr<std::uint8_t>(y);
        std::uint8_t* out = rgb.ptr<std::uint8_t>(y);
        for (int x = 0; x < bgra.cols; ++x, in += 4, out += 3) {
            const int alpha = in[3];
            const int white = 255 * (255 - alpha) + 127;
            out[0] = static_cast<std::uint8_t>((in[2] * alpha + white) / 255);
            out[1] = static_cast<std::uint8_t>((in[1] * alpha + white) / 255);
            out[2] = static_cast<std::uint8_t>((in[0] * alpha + white) / 255);
        }
    }
    return rgb;
}

Image to_image(const cv::Mat& interleaved) {
    Image image{interleaved.cols, interleaved.rows, interleaved.channels(), {}};
    const std::size_t row_bytes = static_cast<std::size_t>(interleaved.cols) * interleaved.channels();
    image.pixels.resize(row_bytes * interleaved.rows);
    for (int y = 0; y < interleaved.rows; ++y) {
        std::copy_n(interleaved.ptr<std::uint8_t>(y), row_bytes, image.pixels.data() + y * row_bytes);
    }
    return image;
}

Expected<Image> finish(cv::Mat decoded, const ImageHeader& header, const ImageRequest& request) {
    auto eight_bit = to_8_bit(decoded);
    if (!eight_bit) return eight_bit.error();
    cv::Mat pixels = std::move(*eight_bit);
    decoded.release();
    if (pixels.channels() == 2) {  // grey + alpha (TIFF)
        std::vector<cv::Mat> planes;
        cv::split(pixels, planes);
        cv::merge(std::vector<cv::Mat>{planes[0], planes[0], planes[0], planes[1]}, pixels);
    }
    if (pixels.channels() == 4) {
        double lowest = 0, highest = 0;
        cv::Mat alpha;
        cv::extractChannel(pixels, alpha, 3);
        cv::minMaxLoc(alpha, &lowest, &highest);
        // Opaque everywhere: no transparency to keep. Zero everywhere in a BMP: a 32-bit BMP
        // whose fourth byte is padding, not an invisible image.
        if (lowest == 255 || (highest == 0 && header.format == ImageFormat::bmp)) {
            cv::cvtColor(pixels, pixels, cv::COLOR_BGRA2BGR);
        }
    }
    cv::Mat out;
    switch (pixels.channels()) {
        case 1: cv::cvtColor(pixels, out, cv::COLOR_GRAY2RGB); break;
        case 3: cv::cvtColor(pixels, out, cv::COLOR_BGR2RGB); break;
        case 4:
            if (request.keep_alpha) cv::cvtColor(pixels, out, cv::COLOR_BGRA2RGBA);
            else out = composite_on_white(pixels);
            break;
        default: return make_error(ErrorCode::unsupported, std::to_string(pixels.channels()) + " channels are not supported");
    }
    return to_image(out);
}

// Large images asked for at a small size are shrunk while their decode slot is held, so the
// full-size pixels never outlive it; twice the requested side keeps a later resize's quality.
void shrink_for_request(cv::Mat& decoded, const ImageRequest& request) {
    const int wanted = 2 * request.min_side_px;
    const int short_side = std::min(decoded.cols, decoded.rows);
    if (request.min_side_px <= 0 || short_side <= wanted) return;
    const double scale = static_cast<double>(wanted) / short_side;
    cv::Mat shrunk;
    cv::resize(decoded, shrunk,
               cv::Size(std::max(1, static_cast<int>(std::lround(decoded.cols * scale))),
                        std::max(1, static_cast<int>(std::lround(decoded.rows * scale)))),
               0, 0, cv::INTER_AREA);
    decoded = std::move(shrunk);
}

}  // namespace

int peak_concurrent_large_decodes() { return large_decodes_peak.load(); }

bool has_image_extension(const std::filesystem::path& path) {
    static const std::array<std::string, 12> known{".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif",
                                                   ".tiff", ".webp", ".pgm", ".ppm", ".pbm", ".pnm"};
    const std::string extension = lower_extension(path);
    return std::find(known.begin(), known.end(), extension) != known.end();
}

Expected<Image> decode_image_bytes(std::span<const unsigned char> bytes, const std::string& name,
                                   const ImageRequest& request) {
    const auto failed = [&name](const Error& error) { return make_error(error.code, name + ": " + error.message); };
    if (bytes.empty()) return make_error(ErrorCode::corrupt_data, name + ": empty file");
    auto header = read_image_header(bytes);
    if (!header) return failed(header.error());
    if (is_truncated(bytes, header->format)) return make_error(ErrorCode::corrupt_data, name + ": image file is truncated");
    auto plan = plan_decode(*header, request);
    if (!plan) return failed(plan.error());
    try {
        const LargeDecodeSlot slot(plan->bytes > kLargeDecodeBytes);
        auto decoded = run_decoder(bytes, *header, *plan);
        if (!decoded) return failed(decoded.error());
        if (plan->bytes > kLargeDecodeBytes) shrink_for_request(*decoded, request);
        auto image = finish(std::move(*decoded), *header, request);
        if (!image) return failed(image.error());
        return image;
    } catch (const cv::Exception& error) {
        return make_error(ErrorCode::corrupt_data, name + ": the decoder failed (" + trimmed(error.what()) + ")");
    } catch (const std::bad_alloc&) {
        return make_error(ErrorCode::unsupported, name + ": out of memory while decoding " + std::to_string(header->width) +
                                                   " x " + std::to_string(header->height) + " pixels");
    } catch (const std::exception& error) {
        return make_error(ErrorCode::internal, name + ": " + error.what());
    }
}

Expected<Image> decode_image_file(const std::filesystem::path& path, const ImageRequest& request) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return make_error(ErrorCode::io_error, path.string() + ": cannot open for reading");
    const std::streamoff size = in.tellg();
    if (size < 0) return make_error(ErrorCode::io_error, path.string() + ": read failed");
    if (size > kDecodeBudgetBytes) {
        return make_error(ErrorCode::unsupported, path.string() + ": the file is " + megabytes(size) +
                                                      ", more than the " + megabytes(kDecodeBudgetBytes) +
                                                      " one image may use");
    }
    try {
        std::vector<unsigned char> bytes(static_cast<std::size_t>(size));
        in.seekg(0);
        in.read(reinterpret_cast<char*>(bytes.data()), size);
        if (in.gcount() != size) return make_error(ErrorCode::io_error, path.string() + ": read failed");
        return decode_image_bytes(bytes, path.string(), request);
    } catch (const std::bad_alloc&) {
        return make_error(ErrorCode::unsupported, path.string() + ": out of memory while reading " + megabytes(size));
    }
}

}  // namespace corral::detail
