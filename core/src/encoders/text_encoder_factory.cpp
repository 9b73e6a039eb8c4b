#include "corral/core/text_encoder.h"
#include "encoders/clip_encoder.h"
#include "guard.h"

namespace corral {

Expected<std::unique_ptr<TextEncoder>> create_text_encoder(std::string_view spec) {
    return detail::guarded(spec, [&]() -> Expected<std::unique_ptr<TextEncoder>> {
        if (spec.rfind("clip:", 0) == 0 && spec.size() > 5) {
            auto resources = detail::load_clip_resources(std::filesystem::path(spec.substr(5)));
            if (!resources) return resources.error();
            return std::unique_ptr<TextEncoder>(std::make_unique<detail::ClipTextEncoder>(std::move(*resources)));
        }
        return make_error(ErrorCode::invalid_argument,
                          "unknown text encoder '" + std::string(spec) + "' (known: clip:MODEL_DIR)");
    });
}

}  // namespace corral
