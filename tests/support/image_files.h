#pragma once
// Image files of the kinds real collections hold, written by the tests themselves with the
// format libraries (libpng, libjpeg, giflib, libwebp) or byte by byte where the point is a
// header: alpha, palette, grey+alpha, 16-bit, EXIF-rotated and CMYK JPEGs, animations, bombs.
#include <opencv2/core.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace corral::testing {

// 8-bit PNG with libpng. `samples` holds width * height * channels bytes; channels 1 (grey),
// 2 (grey + alpha), 3 (RGB), 4 (RGBA).
void write_png_8(const std::filesystem::path& path, int width, int height, int channels,
                 const std::vector<std::uint8_t>& samples);
// 16-bit RGB PNG; `samples` holds width * height * 3 values.
void write_png_16(const std::filesystem::path& path, int width, int height, const std::vector<std::uint16_t>& samples);
// Palette PNG: `indices` into `palette` (RGB triples); `alpha[i]` is entry i's opacity (tRNS).
void write_palette_png(const std::filesystem::path& path, int width, int height, const std::vector<std::uint8_t>& indices,
                       const std::vector<cv::Vec3b>& palette_rgb, const std::vector<std::uint8_t>& alpha);

// A JPEG of `bgr` with an EXIF APP1 segment holding only the orientation tag (1-8).
void write_exif_jpeg(const std::filesystem::path& path, const cv::Mat& bgr, int orientation);
// An Adobe CMYK JPEG (inverted samples, as Photoshop writes them) of `cmyk_ink` (CV_8UC4 ink
// amounts, 255 = full ink).
void write_cmyk_jpeg(const std::filesystem::path& path, const cv::Mat& cmyk_ink);

// An animated GIF: `frames` of palette indices into `palette_rgb` (4 entries), each frame with
// `transparent_index` as its transparent colour (-1: none).
void write_gif(const std::filesystem::path& path, int width, int height, const std::vector<std::vector<std::uint8_t>>& frames,
               const std::vector<cv::Vec3b>& palette_rgb, int transparent_index);
// An animated WebP (lossless) of RGBA frames (CV_8UC4 in RGBA order).
void write_animated_webp(const std::filesystem::path& path, const std::vector<cv::Mat>& rgba_frames);
// An APNG of two BGR frames of one size: the first is the PNG's own image.
void write_apng(const std::filesystem::path& path, const cv::Mat& first_bgr, const cv::Mat& second_bgr);

// A PNG that claims width x height RGBA pixels but holds almost nothing: a bomb by header.
void write_png_bomb_header(const std::filesystem::path& path, std::uint32_t width, std::uint32_t height);
// A real bomb: a valid 1-bit grey PNG of width x height zero pixels, which deflate shrinks
// about 1000 times (32000 x 32000 is a ~130 KB file that decodes to 1 GB).
void write_png_bomb(const std::filesystem::path& path, std::uint32_t width, std::uint32_t height);

// A 24-bit BMP header claiming width x height pixels, followed by a few bytes of pixels.
void write_bmp_header(const std::filesystem::path& path, std::uint32_t width, std::uint32_t height);

}  // namespace corral::testing
