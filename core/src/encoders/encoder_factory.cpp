#include <charconv>
#include <string>

#include "corral/core/encoder.h"
#include "encoders/clip_encoder.h"
#include "encoders/convnet_encoder.h"
#include "encoders/pixel_encoder.h"
#include "guard.h"

namespace corral {
namespace {

Expected<int> parse_positive(std::string_view text, std::string_view what) {
    int value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value <= 0) {
        return make_error(ErrorCode::invalid_argument, "bad " + std::string(what) + " '" + std::string(text) + "'");
    }
    return value;
}

}  // namespace

namespace {

Expected<std::unique_ptr<ImageEncoder>> create_encoder(std::string_view spec) {
    const auto colon = spec.find(':');
    const std::string_view name = spec.substr(0, colon);
    const std::string_view argument = colon == std::string_view::npos ? std::string_view{} : spec.substr(colon + 1);
    if (name == "pixels") {
        int side = 0;
        if (!argument.empty()) {
            auto parsed = parse_positive(argument, "image side");
            if (!parsed) return parsed.error();
            side = *parsed;
        }
        return std::unique_ptr<ImageEncoder>(std::make_unique<detail::PixelEncoder>(side));
    }
    if (name == "convnet") {
        if (argument.empty()) {
            return make_error(ErrorCode::invalid_argument, "convnet needs a model folder: convnet:DIR");
        }
        return detail::ConvnetEncoder::open(std::filesystem::path(std::string(argument)));
    }
    if (name == "clip") {
        if (argument.empty()) return make_error(ErrorCode::invalid_argument, "clip needs a model folder: clip:MODEL_DIR");
        auto resources = detail::load_clip_resources(std::filesystem::path(argument));
        if (!resources) return resources.error();
        return std::unique_ptr<ImageEncoder>(std::make_unique<detail::ClipImageEncoder>(std::move(*resources)));
    }
    return make_error(ErrorCode::invalid_argument,
                      "unknown encoder '" + std::string(spec) + "' (known: pixels[:SIDE], convnet:DIR, clip:MODEL_DIR)");
}

}  // namespace

Expected<std::unique_ptr<ImageEncoder>> create_image_encoder(std::string_view spec) {
    return detail::guarded(spec, [&] { return create_encoder(spec); });
}

}  // namespace corral
