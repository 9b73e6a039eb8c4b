#include "data/image_header.h"

#include <webp/decode.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string>

namespace corral::detail {
namespace {

using Bytes = std::span<const unsigned char>;

bool starts_with(Bytes bytes, std::string_view prefix) {
    return bytes.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), bytes.begin(),
                      [](char a, unsigned char b) { return static_cast<unsigned char>(a) == b; });
}

// Bounds-checked integer reads; nullopt past the end.
std::optional<std::uint64_t> read_uint(Bytes bytes, std::size_t offset, int size, bool big_endian) {
    if (offset > bytes.size() || bytes.size() - offset < static_cast<std::size_t>(size)) return std::nullopt;
    std::uint64_t value = 0;
    for (int i = 0; i < size; ++i) {
        const std::uint64_t byte = bytes[offset + static_cast<std::size_t>(big_endian ? i : size - 1 - i)];
        value = (value << 8) | byte;
    }
    return value;
}

Error cut_short(ImageFormat format) {
    return make_error(ErrorCode::corrupt_data, std::string(format_name(format)) + " header is cut short");
}

Expected<ImageHeader> checked(ImageHeader header) {
    // Sizes a decoder cannot mean: zero, negative (read as huge) or beyond any format's range.
    constexpr std::int64_t kLargestSide = std::int64_t{1} << 31;
    if (header.width <= 0 || header.height <= 0 || header.width >= kLargestSide || header.height >= kLargestSide) {
        return make_error(ErrorCode::corrupt_data, std::string(format_name(header.format)) + " header gives an impossible size (" +
                                                       std::to_string(header.width) + " x " +
                                                       std::to_string(header.height) + ")");
    }
    return header;
}

Expected<ImageHeader> png_header(Bytes bytes) {
    // Signature (8), IHDR length (4) and type (4), then width, height, bit depth, colour type.
    if (bytes.size() < 26 || !std::equal(bytes.begin() + 12, bytes.begin() + 16, "IHDR")) return cut_short(ImageFormat::png);
    ImageHeader header{ImageFormat::png};
    header.width = static_cast<std::int64_t>(*read_uint(bytes, 16, 4, true));
    header.height = static_cast<std::int64_t>(*read_uint(bytes, 20, 4, true));
    header.bytes_per_sample = bytes[24] == 16 ? 2 : 1;
    const int colour_type = bytes[25];
    header.channels = colour_type == 0 ? 1 : colour_type == 2 ? 3 : 4;  // palette and grey+alpha decode to 4
    return checked(header);
}

Expected<ImageHeader> jpeg_header(Bytes bytes) {
    std::size_t at = 2;
    while (true) {
        while (at < bytes.size() && bytes[at] != 0xFF) ++at;  // stray bytes between segments
        while (at < bytes.size() && bytes[at] == 0xFF) ++at;  // fill bytes
        if (at >= bytes.size()) return cut_short(ImageFormat::jpeg);
        const unsigned marker = bytes[at++];
        if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // no length
        if (marker == 0xD9 || marker == 0xDA) {
            return make_error(ErrorCode::corrupt_data, "JPEG has no frame header before its image data");
        }
        const auto length = read_uint(bytes, at, 2, true);
        if (!length || *length < 2) return cut_short(ImageFormat::jpeg);
        const bool frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (frame) {
            const auto height = read_uint(bytes, at + 3, 2, true);
            const auto width = read_uint(bytes, at + 5, 2, true);
            const auto components = read_uint(bytes, at + 7, 1, true);
            if (!height || !width || !components) return cut_short(ImageFormat::jpeg);
            ImageHeader header{ImageFormat::jpeg};
            header.width = static_cast<std::int64_t>(*width);
            header.height = static_cast<std::int64_t>(*height);
            header.channels = std::max(3, static_cast<int>(*components));  // CMYK decodes through 4 channels
            return checked(header);
        }
        at += static_cast<std::size_t>(*length);
    }
}

// The canvas a GIF's first frame is drawn on: the logical screen, grown to hold the frame.
Expected<ImageHeader> gif_header(Bytes bytes) {
    const auto screen_width = read_uint(bytes, 6, 2, false);
    const auto screen_height = read_uint(bytes, 8, 2, false);
    const auto flags = read_uint(bytes, 10, 1, false);
    if (!screen_width || !screen_height || !flags) return cut_short(ImageFormat::gif);
    std::size_t at = 13;
    if (*flags & 0x80) at += 3u << ((*flags & 7) + 1);  // global colour table
    while (at < bytes.size()) {
        const unsigned block = bytes[at];
        if (block == 0x2C) {  // image descriptor: left, top, width, height
            const auto left = read_uint(bytes, at + 1, 2, false);
            const auto top = read_uint(bytes, at + 3, 2, false);
            const auto width = read_uint(bytes, at + 5, 2, false);
            const auto height = read_uint(bytes, at + 7, 2, false);
            if (!left || !top || !width || !height) return cut_short(ImageFormat::gif);
            ImageHeader header{ImageFormat::gif};
            header.width = static_cast<std::int64_t>(std::max(*screen_width, *left + *width));
            header.height = static_cast<std::int64_t>(std::max(*screen_height, *top + *height));
            header.channels = 4;
            return checked(header);
        }
        if (block != 0x21) break;  // only extensions may precede the first image
        at += 2;                   // introducer and label, then data sub-blocks up to an empty one
        while (at < bytes.size() && bytes[at] != 0) at += bytes[at] + 1u;
        ++at;
    }
    return make_error(ErrorCode::corrupt_data, "GIF holds no image");
}

Expected<ImageHeader> webp_header(Bytes bytes) {
    WebPBitstreamFeatures features;
    const VP8StatusCode status = WebPGetFeatures(bytes.data(), bytes.size(), &features);
    if (status == VP8_STATUS_NOT_ENOUGH_DATA) return cut_short(ImageFormat::webp);
    if (status != VP8_STATUS_OK) return make_error(ErrorCode::corrupt_data, "WebP header is damaged");
    ImageHeader header{ImageFormat::webp};
    header.width = features.width;
    header.height = features.height;
    header.channels = 4;
    header.animated = features.has_animation != 0;
    return checked(header);
}

Expected<ImageHeader> bmp_header(Bytes bytes) {
    const auto info_size = read_uint(bytes, 14, 4, false);
    if (!info_size) return cut_short(ImageFormat::bmp);
    const bool core = *info_size == 12;  // OS/2 BITMAPCOREHEADER: 16-bit sizes
    const auto width = read_uint(bytes, 18, core ? 2 : 4, false);
    const auto height = read_uint(bytes, core ? 20 : 22, core ? 2 : 4, false);
    const auto bits = read_uint(bytes, core ? 24 : 28, 2, false);
    if (!width || !height || !bits) return cut_short(ImageFormat::bmp);
    ImageHeader header{ImageFormat::bmp};
    header.width = core ? static_cast<std::int16_t>(*width) : static_cast<std::int32_t>(*width);
    // A negative height means rows stored top-down.
    header.height = std::abs(core ? static_cast<std::int64_t>(static_cast<std::int16_t>(*height))
                                  : static_cast<std::int64_t>(static_cast<std::int32_t>(*height)));
    header.channels = *bits == 32 ? 4 : 3;
    return checked(header);
}

// The first image file directory of a TIFF or BigTIFF: width, length, samples and their bits.
Expected<ImageHeader> tiff_header(Bytes bytes) {
    const bool big_endian = bytes[0] == 'M';
    const auto version = read_uint(bytes, 2, 2, big_endian);
    if (!version) return cut_short(ImageFormat::tiff);
    if (*version != 42 && *version != 43) return make_error(ErrorCode::corrupt_data, "TIFF header has an unknown version");
    const bool big_tiff = *version == 43;
    const int offset_size = big_tiff ? 8 : 4;
    const auto ifd = read_uint(bytes, big_tiff ? 8 : 4, offset_size, big_endian);
    const auto entry_count = ifd && *ifd < bytes.size() ? read_uint(bytes, *ifd, big_tiff ? 8 : 2, big_endian) : std::nullopt;
    if (!entry_count) return cut_short(ImageFormat::tiff);
    const std::size_t entry_size = big_tiff ? 20 : 12;
    const std::size_t first_entry = *ifd + (big_tiff ? 8 : 2);
    ImageHeader header{ImageFormat::tiff};
    header.channels = 1;
    std::uint64_t bits = 8;
    for (std::uint64_t e = 0; e < std::min<std::uint64_t>(*entry_count, 4096); ++e) {
        const std::size_t entry = first_entry + e * entry_size;
        const auto tag = read_uint(bytes, entry, 2, big_endian);
        const auto type = read_uint(bytes, entry + 2, 2, big_endian);
        const auto count = read_uint(bytes, entry + 4, offset_size, big_endian);
        if (!tag || !type || !count) return cut_short(ImageFormat::tiff);
        const std::size_t value_at = entry + 4 + static_cast<std::size_t>(offset_size);
        const int type_size = *type == 3 ? 2 : *type == 4 ? 4 : *type == 16 ? 8 : *type == 1 ? 1 : 0;
        if (type_size == 0) continue;  // no size or sample tag uses other types
        // A value too large for the entry lives at the offset the entry holds instead.
        std::size_t first_value = value_at;
        if (*count * static_cast<std::uint64_t>(type_size) > static_cast<std::uint64_t>(offset_size)) {
            const auto offset = read_uint(bytes, value_at, offset_size, big_endian);
            if (!offset) return cut_short(ImageFormat::tiff);
            first_value = static_cast<std::size_t>(*offset);
        }
        const auto value = read_uint(bytes, first_value, type_size, big_endian);
        if (!value) return cut_short(ImageFormat::tiff);
        if (*tag == 256) header.width = static_cast<std::int64_t>(*value);
        if (*tag == 257) header.height = static_cast<std::int64_t>(*value);
        if (*tag == 258) bits = *value;
        if (*tag == 277) header.channels = static_cast<int>(std::clamp<std::uint64_t>(*value, 1, 4));
    }
    header.bytes_per_sample = static_cast<int>(std::clamp<std::uint64_t>((bits + 7) / 8, 1, 8));
    return checked(header);
}

// P1-P6: whitespace-separated width, height and (but for bitmaps) the largest sample value,
// with '#' comments anywhere between them.
Expected<ImageHeader> pnm_header(Bytes bytes) {
    const char kind = static_cast<char>(bytes[1]);
    const int fields = kind == '1' || kind == '4' ? 2 : 3;
    std::array<std::uint64_t, 3> values{0, 0, 0};
    std::size_t at = 2;
    for (int field = 0; field < fields; ++field) {
        while (at < bytes.size() && (std::isspace(bytes[at]) || bytes[at] == '#')) {
            if (bytes[at] == '#') {
                while (at < bytes.size() && bytes[at] != '\n') ++at;
            } else {
                ++at;
            }
        }
        if (at >= bytes.size() || !std::isdigit(bytes[at])) return cut_short(ImageFormat::pnm);
        for (int digits = 0; at < bytes.size() && std::isdigit(bytes[at]); ++at) {
            if (++digits > 12) return make_error(ErrorCode::corrupt_data, "PNM header gives an impossible size");
            values[static_cast<std::size_t>(field)] = values[static_cast<std::size_t>(field)] * 10 + (bytes[at] - '0');
        }
    }
    ImageHeader header{ImageFormat::pnm};
    header.width = static_cast<std::int64_t>(values[0]);
    header.height = static_cast<std::int64_t>(values[1]);
    header.channels = kind == '3' || kind == '6' ? 3 : 1;
    header.bytes_per_sample = values[2] > 255 ? 2 : 1;
    return checked(header);
}

}  // namespace

std::string_view format_name(ImageFormat format) {
    switch (format) {
        case ImageFormat::png: return "PNG";
        case ImageFormat::jpeg: return "JPEG";
        case ImageFormat::gif: return "GIF";
        case ImageFormat::webp: return "WebP";
        case ImageFormat::bmp: return "BMP";
        case ImageFormat::tiff: return "TIFF";
        case ImageFormat::pnm: return "PNM";
    }
    return "image";
}

Expected<ImageHeader> read_image_header(std::span<const unsigned char> bytes) {
    if (starts_with(bytes, "\x89PNG\r\n\x1a\n")) return png_header(bytes);
    if (starts_with(bytes, "\xFF\xD8\xFF")) return jpeg_header(bytes);
    if (starts_with(bytes, "GIF87a") || starts_with(bytes, "GIF89a")) return gif_header(bytes);
    if (starts_with(bytes, "RIFF") && bytes.size() >= 12 && std::equal(bytes.begin() + 8, bytes.begin() + 12, "WEBP")) {
        return webp_header(bytes);
    }
    if (starts_with(bytes, "BM")) return bmp_header(bytes);
    if (starts_with(bytes, std::string_view("II*\0", 4)) || starts_with(bytes, std::string_view("MM\0*", 4)) ||
        starts_with(bytes, std::string_view("II+\0", 4)) || starts_with(bytes, std::string_view("MM\0+", 4))) {
        return tiff_header(bytes);
    }
    if (bytes.size() >= 3 && bytes[0] == 'P' && bytes[1] >= '1' && bytes[1] <= '6' && std::isspace(bytes[2])) {
        return pnm_header(bytes);
    }
    return make_error(ErrorCode::corrupt_data, "not an image in a format Corral reads (PNG, JPEG, GIF, WebP, BMP, TIFF, PNM)");
}

}  // namespace corral::detail
