#pragma once
// Private to core: the one exception guard at core's public entry points. Core reports errors as
// values; LibTorch (c10::Error), OpenCV (cv::Exception), nlohmann::json, models/ (ModelError,
// CheckpointError) and the standard library (std::bad_alloc, filesystem errors) throw. Every
// public entry point runs its body through guarded(), so none of those reaches a caller, a
// worker thread's top or the Qt event loop: each becomes an Error with a code a caller can
// branch on (out_of_memory for failed allocations) and a message without a C++ backtrace.
#include <string_view>
#include <utility>

#include "corral/core/expected.h"

namespace corral::detail {

// The Error for the exception being handled, prefixed with `context` ("k-means", a file name).
// Call only inside a catch block.
Error error_from_current_exception(std::string_view context);

// Runs `body` (returning Expected<T> or Status) and turns any exception into its Error.
template <typename Body>
auto guarded(std::string_view context, Body&& body) -> decltype(std::forward<Body>(body)()) {
    try {
        return std::forward<Body>(body)();
    } catch (...) {
        return error_from_current_exception(context);
    }
}

}  // namespace corral::detail
