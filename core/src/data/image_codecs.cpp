#include "data/image_codecs.h"

#include <gif_lib.h>
#include <webp/decode.h>
#include <webp/demux.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace corral::detail {
namespace {

struct GifSource {
    std::span<const unsigned char> bytes;
    std::size_t position = 0;
};

int read_gif_bytes(GifFileType* gif, GifByteType* out, int wanted) {
    auto* source = static_cast<GifSource*>(gif->UserData);
    const std::size_t count = std::min(static_cast<std::size_t>(std::max(wanted, 0)), source->bytes.size() - source->position);
    std::memcpy(out, source->bytes.data() + source->position, count);
    source->position += count;
    return static_cast<int>(count);
}

struct GifCloser {
    void operator()(GifFileType* gif) const {
        int ignored = 0;
        DGifCloseFile(gif, &ignored);
    }
};

Error gif_error(int code) {
    const char* text = GifErrorString(code);
    return make_error(ErrorCode::corrupt_data, std::string("GIF: ") + (text ? text : "damaged file"));
}

}  // namespace

Expected<cv::Mat> decode_gif_first_frame(std::span<const unsigned char> bytes) {
    GifSource source{bytes};
    int error = 0;
    std::unique_ptr<GifFileType, GifCloser> gif(DGifOpen(&source, read_gif_bytes, &error));
    if (!gif) return gif_error(error);
    int transparent_index = NO_TRANSPARENT_COLOR;
    while (true) {
        GifRecordType record;
        if (DGifGetRecordType(gif.get(), &record) == GIF_ERROR) return gif_error(gif->Error);
        if (record == TERMINATE_RECORD_TYPE) return make_error(ErrorCode::corrupt_data, "GIF holds no image");
        if (record == EXTENSION_RECORD_TYPE) {
            int code = 0;
            GifByteType* block = nullptr;
            if (DGifGetExtension(gif.get(), &code, &block) == GIF_ERROR) return gif_error(gif->Error);
            // The graphics control block before a frame names its transparent colour.
            if (code == GRAPHICS_EXT_FUNC_CODE && block && block[0] >= 4) {
                GraphicsControlBlock control;
                if (DGifExtensionToGCB(block[0], block + 1, &control) == GIF_OK) transparent_index = control.TransparentColor;
            }
            while (block) {
                if (DGifGetExtensionNext(gif.get(), &block) == GIF_ERROR) return gif_error(gif->Error);
            }
            continue;
        }
        if (record != IMAGE_DESC_RECORD_TYPE) continue;
        if (DGifGetImageDesc(gif.get()) == GIF_ERROR) return gif_error(gif->Error);
        const GifImageDesc& frame = gif->Image;
        const ColorMapObject* colours = frame.ColorMap ? frame.ColorMap : gif->SColorMap;
        if (!colours) return make_error(ErrorCode::corrupt_data, "GIF has no colour table");
        if (frame.Width <= 0 || frame.Height <= 0) return make_error(ErrorCode::corrupt_data, "GIF frame is empty");
        const int width = std::max(gif->SWidth, frame.Left + frame.Width);
        const int height = std::max(gif->SHeight, frame.Top + frame.Height);
        cv::Mat canvas(height, width, CV_8UC4, cv::Scalar::all(0));
        std::vector<GifByteType> row(static_cast<std::size_t>(frame.Width));
        // Interlaced frames store rows in four passes: every 8th from 0, every 8th from 4,
        // every 4th from 2, every 2nd from 1.
        static constexpr int kPassStart[] = {0, 4, 2, 1};
        static constexpr int kPassStep[] = {8, 8, 4, 2};
        const int passes = frame.Interlace ? 4 : 1;
        for (int pass = 0; pass < passes; ++pass) {
            const int start = frame.Interlace ? kPassStart[pass] : 0;
            const int step = frame.Interlace ? kPassStep[pass] : 1;
            for (int y = start; y < frame.Height; y += step) {
                if (DGifGetLine(gif.get(), row.data(), frame.Width) == GIF_ERROR) return gif_error(gif->Error);
                auto* out = canvas.ptr<std::uint8_t>(frame.Top + y) + static_cast<std::size_t>(frame.Left) * 4;
                for (int x = 0; x < frame.Width; ++x, out += 4) {
                    const int index = row[static_cast<std::size_t>(x)];
                    if (index == transparent_index) continue;
                    if (index >= colours->ColorCount) {
                        out[3] = 255;  // an index past the table: opaque black, as browsers draw it
                        continue;
                    }
                    const GifColorType& colour = colours->Colors[index];
                    out[0] = colour.Blue;
                    out[1] = colour.Green;
                    out[2] = colour.Red;
                    out[3] = 255;
                }
            }
        }
        return canvas;
    }
}

Expected<cv::Mat> decode_webp(std::span<const unsigned char> bytes, int width, int height) {
    WebPBitstreamFeatures features;
    if (WebPGetFeatures(bytes.data(), bytes.size(), &features) != VP8_STATUS_OK) {
        return make_error(ErrorCode::corrupt_data, "WebP header is damaged");
    }
    if (features.has_animation) {
        WebPAnimDecoderOptions options;
        if (!WebPAnimDecoderOptionsInit(&options)) return make_error(ErrorCode::internal, "libwebp version mismatch");
        options.color_mode = MODE_BGRA;
        options.use_threads = 0;
        const WebPData data{bytes.data(), bytes.size()};
        std::unique_ptr<WebPAnimDecoder, decltype(&WebPAnimDecoderDelete)> decoder(WebPAnimDecoderNew(&data, &options),
                                                                                   &WebPAnimDecoderDelete);
        WebPAnimInfo info;
        if (!decoder || !WebPAnimDecoderGetInfo(decoder.get(), &info)) {
            return make_error(ErrorCode::corrupt_data, "animated WebP is damaged");
        }
        std::uint8_t* frame = nullptr;
        int timestamp = 0;
        if (!WebPAnimDecoderGetNext(decoder.get(), &frame, &timestamp) || !frame) {
            return make_error(ErrorCode::corrupt_data, "animated WebP: its first frame is damaged");
        }
        const cv::Mat view(static_cast<int>(info.canvas_height), static_cast<int>(info.canvas_width), CV_8UC4, frame);
        return view.clone();  // the decoder owns `frame`
    }
    WebPDecoderConfig config;
    if (!WebPInitDecoderConfig(&config)) return make_error(ErrorCode::internal, "libwebp version mismatch");
    if (width > 0 && height > 0 && (width != features.width || height != features.height)) {
        config.options.use_scaling = 1;
        config.options.scaled_width = width;
        config.options.scaled_height = height;
    }
    const int out_width = config.options.use_scaling ? width : features.width;
    const int out_height = config.options.use_scaling ? height : features.height;
    cv::Mat decoded(out_height, out_width, CV_8UC4);
    // Decode straight into the matrix: no second full-size buffer.
    config.output.colorspace = MODE_BGRA;
    config.output.is_external_memory = 1;
    config.output.u.RGBA.rgba = decoded.data;
    config.output.u.RGBA.stride = static_cast<int>(decoded.step[0]);
    config.output.u.RGBA.size = decoded.step[0] * static_cast<std::size_t>(out_height);
    const VP8StatusCode status = WebPDecode(bytes.data(), bytes.size(), &config);
    WebPFreeDecBuffer(&config.output);
    if (status == VP8_STATUS_NOT_ENOUGH_DATA) return make_error(ErrorCode::corrupt_data, "image file is truncated");
    if (status != VP8_STATUS_OK) return make_error(ErrorCode::corrupt_data, "WebP image data is damaged");
    return decoded;
}

}  // namespace corral::detail
