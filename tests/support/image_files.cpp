#include "image_files.h"

#include <gif_lib.h>
#include <jpeglib.h>
#include <png.h>
#include <webp/encode.h>
#include <webp/mux.h>
#include <zlib.h>

#include <opencv2/imgcodecs.hpp>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace corral::testing {
namespace {

namespace fs = std::filesystem;

void save(const fs::path& path, const std::string& bytes) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string big_endian(std::uint32_t value) {
    return {static_cast<char>(value >> 24), static_cast<char>(value >> 16), static_cast<char>(value >> 8),
            static_cast<char>(value)};
}

// One PNG chunk: length, type, data, CRC of type and data.
std::string png_chunk(const std::string& type, const std::string& data) {
    const std::string body = type + data;
    const auto crc = static_cast<std::uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
    return big_endian(static_cast<std::uint32_t>(data.size())) + body + big_endian(crc);
}

const std::string kPngSignature("\x89PNG\r\n\x1a\n", 8);

std::string png_ihdr(std::uint32_t width, std::uint32_t height, int depth, int colour_type) {
    return png_chunk("IHDR", big_endian(width) + big_endian(height) + static_cast<char>(depth) +
                                 static_cast<char>(colour_type) + std::string(3, '\0'));
}

struct PngChunk {
    std::string type;
    std::string data;
};

std::vector<PngChunk> png_chunks(const std::vector<unsigned char>& png) {
    std::vector<PngChunk> chunks;
    for (std::size_t at = 8; at + 12 <= png.size();) {
        const std::uint32_t length = (std::uint32_t{png[at]} << 24) | (std::uint32_t{png[at + 1]} << 16) |
                                     (std::uint32_t{png[at + 2]} << 8) | png[at + 3];
        chunks.push_back({std::string(png.begin() + static_cast<long>(at) + 4, png.begin() + static_cast<long>(at) + 8),
                          std::string(png.begin() + static_cast<long>(at) + 8,
                                      png.begin() + static_cast<long>(at + 8 + length))});
        at += 12 + length;
    }
    return chunks;
}

class PngWriter {
public:
    explicit PngWriter(const fs::path& path) {
        fs::create_directories(path.parent_path());
        file_ = std::fopen(path.c_str(), "wb");
        png_ = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
        info_ = png_create_info_struct(png_);
        if (!file_ || !png_ || !info_) throw std::runtime_error("libpng: cannot start " + path.string());
        png_init_io(png_, file_);
    }
    ~PngWriter() {
        png_destroy_write_struct(&png_, &info_);
        if (file_) std::fclose(file_);
    }
    png_structp png() { return png_; }
    png_infop info() { return info_; }
    void write_rows(const std::uint8_t* data, std::size_t row_bytes, int height) {
        png_write_info(png_, info_);
        for (int y = 0; y < height; ++y) png_write_row(png_, const_cast<png_bytep>(data + y * row_bytes));
        png_write_end(png_, info_);
    }

private:
    std::FILE* file_ = nullptr;
    png_structp png_ = nullptr;
    png_infop info_ = nullptr;
};

}  // namespace

void write_png_8(const fs::path& path, int width, int height, int channels, const std::vector<std::uint8_t>& samples) {
    static constexpr int kTypes[] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                     PNG_COLOR_TYPE_RGB_ALPHA};
    PngWriter writer(path);
    png_set_IHDR(writer.png(), writer.info(), static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
                 kTypes[channels], PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    writer.write_rows(samples.data(), static_cast<std::size_t>(width) * channels, height);
}

void write_png_16(const fs::path& path, int width, int height, const std::vector<std::uint16_t>& samples) {
    std::vector<std::uint8_t> big_endian_samples;
    for (std::uint16_t value : samples) {
        big_endian_samples.push_back(static_cast<std::uint8_t>(value >> 8));
        big_endian_samples.push_back(static_cast<std::uint8_t>(value & 0xFF));
    }
    PngWriter writer(path);
    png_set_IHDR(writer.png(), writer.info(), static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 16,
                 PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    writer.write_rows(big_endian_samples.data(), static_cast<std::size_t>(width) * 6, height);
}

void write_palette_png(const fs::path& path, int width, int height, const std::vector<std::uint8_t>& indices,
                       const std::vector<cv::Vec3b>& palette_rgb, const std::vector<std::uint8_t>& alpha) {
    PngWriter writer(path);
    png_set_IHDR(writer.png(), writer.info(), static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
                 PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    std::vector<png_color> palette;
    for (const auto& rgb : palette_rgb) palette.push_back({rgb[0], rgb[1], rgb[2]});
    png_set_PLTE(writer.png(), writer.info(), palette.data(), static_cast<int>(palette.size()));
    std::vector<png_byte> opacity(alpha.begin(), alpha.end());
    png_set_tRNS(writer.png(), writer.info(), opacity.data(), static_cast<int>(opacity.size()), nullptr);
    writer.write_rows(indices.data(), static_cast<std::size_t>(width), height);
}

void write_exif_jpeg(const fs::path& path, const cv::Mat& bgr, int orientation) {
    std::vector<unsigned char> jpeg;
    if (!cv::imencode(".jpg", bgr, jpeg, {cv::IMWRITE_JPEG_QUALITY, 95})) throw std::runtime_error("imencode failed");
    // Little-endian TIFF header, one IFD with one SHORT entry: 0x0112 Orientation.
    const std::string tiff = std::string("II*\0\x08\0\0\0", 8) + std::string("\x01\0", 2) +
                             std::string("\x12\x01\x03\0\x01\0\0\0", 8) + static_cast<char>(orientation) +
                             std::string(3, '\0') + std::string(4, '\0');
    const std::string payload = std::string("Exif\0\0", 6) + tiff;
    const auto length = static_cast<std::uint16_t>(payload.size() + 2);
    const std::string app1 = std::string("\xFF\xE1", 2) + static_cast<char>(length >> 8) + static_cast<char>(length & 0xFF) + payload;
    save(path, std::string(jpeg.begin(), jpeg.begin() + 2) + app1 + std::string(jpeg.begin() + 2, jpeg.end()));
}

void write_cmyk_jpeg(const fs::path& path, const cv::Mat& cmyk_ink) {
    jpeg_compress_struct compress;
    jpeg_error_mgr errors;
    compress.err = jpeg_std_error(&errors);
    jpeg_create_compress(&compress);
    unsigned char* buffer = nullptr;
    unsigned long size = 0;
    jpeg_mem_dest(&compress, &buffer, &size);
    compress.image_width = static_cast<JDIMENSION>(cmyk_ink.cols);
    compress.image_height = static_cast<JDIMENSION>(cmyk_ink.rows);
    compress.input_components = 4;
    compress.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&compress);
    jpeg_set_quality(&compress, 95, TRUE);
    compress.write_Adobe_marker = TRUE;
    jpeg_start_compress(&compress, TRUE);
    std::vector<unsigned char> row(static_cast<std::size_t>(cmyk_ink.cols) * 4);
    for (int y = 0; y < cmyk_ink.rows; ++y) {
        const unsigned char* ink = cmyk_ink.ptr<unsigned char>(y);
        for (std::size_t i = 0; i < row.size(); ++i) row[i] = static_cast<unsigned char>(255 - ink[i]);  // Adobe: inverted
        JSAMPROW rows[] = {row.data()};
        jpeg_write_scanlines(&compress, rows, 1);
    }
    jpeg_finish_compress(&compress);
    jpeg_destroy_compress(&compress);
    save(path, std::string(reinterpret_cast<char*>(buffer), size));
    std::free(buffer);
}

namespace {
int write_gif_bytes(GifFileType* gif, const GifByteType* data, int length) {
    static_cast<std::string*>(gif->UserData)->append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
    return length;
}
}  // namespace

void write_gif(const fs::path& path, int width, int height, const std::vector<std::vector<std::uint8_t>>& frames,
               const std::vector<cv::Vec3b>& palette_rgb, int transparent_index) {
    std::string bytes;
    int error = 0;
    GifFileType* gif = EGifOpen(&bytes, write_gif_bytes, &error);
    if (!gif) throw std::runtime_error("giflib: cannot start a GIF");
    std::vector<GifColorType> colours;
    for (const auto& rgb : palette_rgb) colours.push_back({rgb[0], rgb[1], rgb[2]});
    ColorMapObject* map = GifMakeMapObject(static_cast<int>(colours.size()), colours.data());
    EGifSetGifVersion(gif, true);
    bool ok = EGifPutScreenDesc(gif, width, height, 8, 0, map) == GIF_OK;
    for (const auto& frame : frames) {
        GraphicsControlBlock control{DISPOSE_BACKGROUND, false, 10, transparent_index};
        GifByteType extension[4];
        const auto length = EGifGCBToExtension(&control, extension);
        ok = ok && EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, static_cast<int>(length), extension) == GIF_OK;
        ok = ok && EGifPutImageDesc(gif, 0, 0, width, height, false, nullptr) == GIF_OK;
        for (int y = 0; y < height && ok; ++y) {
            ok = EGifPutLine(gif, const_cast<GifPixelType*>(frame.data() + static_cast<std::size_t>(y) * width), width) == GIF_OK;
        }
    }
    ok = EGifCloseFile(gif, &error) == GIF_OK && ok;
    GifFreeMapObject(map);
    if (!ok) throw std::runtime_error("giflib: writing failed");
    save(path, bytes);
}

void write_animated_webp(const fs::path& path, const std::vector<cv::Mat>& rgba_frames) {
    WebPAnimEncoderOptions options;
    if (!WebPAnimEncoderOptionsInit(&options)) throw std::runtime_error("libwebpmux: version mismatch");
    const int width = rgba_frames.front().cols, height = rgba_frames.front().rows;
    WebPAnimEncoder* encoder = WebPAnimEncoderNew(width, height, &options);
    int timestamp = 0;
    for (const cv::Mat& frame : rgba_frames) {
        WebPConfig config;
        WebPConfigInit(&config);
        config.lossless = 1;
        WebPPicture picture;
        WebPPictureInit(&picture);
        picture.width = width;
        picture.height = height;
        picture.use_argb = 1;
        WebPPictureImportRGBA(&picture, frame.data, static_cast<int>(frame.step[0]));
        const bool added = WebPAnimEncoderAdd(encoder, &picture, timestamp, &config);
        WebPPictureFree(&picture);
        if (!added) throw std::runtime_error("libwebpmux: cannot add a frame");
        timestamp += 100;
    }
    WebPAnimEncoderAdd(encoder, nullptr, timestamp, nullptr);
    WebPData data;
    WebPDataInit(&data);
    const bool assembled = WebPAnimEncoderAssemble(encoder, &data);
    WebPAnimEncoderDelete(encoder);
    if (!assembled) throw std::runtime_error("libwebpmux: cannot assemble");
    save(path, std::string(reinterpret_cast<const char*>(data.bytes), data.size));
    WebPDataClear(&data);
}

void write_apng(const fs::path& path, const cv::Mat& first_bgr, const cv::Mat& second_bgr) {
    std::vector<unsigned char> first, second;
    cv::imencode(".png", first_bgr, first);
    cv::imencode(".png", second_bgr, second);
    const auto first_chunks = png_chunks(first);
    std::string second_data;
    for (const auto& chunk : png_chunks(second)) {
        if (chunk.type == "IDAT") second_data += chunk.data;
    }
    const auto frame_control = [&](std::uint32_t sequence) {
        return png_chunk("fcTL", big_endian(sequence) + big_endian(static_cast<std::uint32_t>(first_bgr.cols)) +
                                     big_endian(static_cast<std::uint32_t>(first_bgr.rows)) + big_endian(0) + big_endian(0) +
                                     std::string("\0\x01\0\x0a", 4) + std::string("\0\0", 2));
    };
    std::string bytes = kPngSignature;
    for (const auto& chunk : first_chunks) {
        if (chunk.type == "IHDR") {
            bytes += png_chunk(chunk.type, chunk.data) + png_chunk("acTL", big_endian(2) + big_endian(0)) + frame_control(0);
        } else if (chunk.type == "IEND") {
            bytes += frame_control(1) + png_chunk("fdAT", big_endian(2) + second_data) + png_chunk("IEND", "");
        } else {
            bytes += png_chunk(chunk.type, chunk.data);
        }
    }
    save(path, bytes);
}

void write_png_bomb_header(const fs::path& path, std::uint32_t width, std::uint32_t height) {
    const std::string idat(16, '\0');
    save(path, kPngSignature + png_ihdr(width, height, 8, 6) + png_chunk("IDAT", idat) + png_chunk("IEND", ""));
}

void write_png_bomb(const fs::path& path, std::uint32_t width, std::uint32_t height) {
    // Rows of zero bits with filter type 0, deflated row by row.
    const std::string row(1 + (width + 7) / 8, '\0');
    z_stream stream{};
    if (deflateInit(&stream, Z_BEST_COMPRESSION) != Z_OK) throw std::runtime_error("zlib: deflateInit failed");
    std::string compressed;
    std::vector<unsigned char> out(1 << 16);
    for (std::uint32_t y = 0; y < height; ++y) {
        stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(row.data()));
        stream.avail_in = static_cast<uInt>(row.size());
        const int flush = y + 1 == height ? Z_FINISH : Z_NO_FLUSH;
        do {
            stream.next_out = out.data();
            stream.avail_out = static_cast<uInt>(out.size());
            deflate(&stream, flush);
            compressed.append(reinterpret_cast<char*>(out.data()), out.size() - stream.avail_out);
        } while (stream.avail_out == 0);
    }
    deflateEnd(&stream);
    save(path, kPngSignature + png_ihdr(width, height, 1, 0) + png_chunk("IDAT", compressed) + png_chunk("IEND", ""));
}

void write_bmp_header(const fs::path& path, std::uint32_t width, std::uint32_t height) {
    const auto little_endian = [](std::uint32_t value, int bytes) {
        std::string text;
        for (int i = 0; i < bytes; ++i) text += static_cast<char>((value >> (8 * i)) & 0xFF);
        return text;
    };
    const std::string pixels(64, '\0');
    const std::string info = little_endian(40, 4) + little_endian(width, 4) + little_endian(height, 4) + little_endian(1, 2) +
                             little_endian(24, 2) + std::string(24, '\0');
    save(path, "BM" + little_endian(static_cast<std::uint32_t>(14 + info.size() + pixels.size()), 4) + little_endian(0, 4) +
                   little_endian(54, 4) + info + pixels);
}

}  // namespace corral::testing
