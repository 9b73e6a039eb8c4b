#include "corral/core/expected.h"

namespace corral {

std::string_view to_string(ErrorCode code) {
    switch (code) {
        case ErrorCode::invalid_argument: return "invalid argument";
        case ErrorCode::not_found: return "not found";
        case ErrorCode::io_error: return "i/o error";
        case ErrorCode::corrupt_data: return "corrupt data";
        case ErrorCode::unsupported: return "unsupported";
        case ErrorCode::version_too_new: return "version too new";
        case ErrorCode::busy: return "busy";
        case ErrorCode::disk_full: return "disk full";
        case ErrorCode::cancelled: return "cancelled";
        case ErrorCode::out_of_memory: return "out of memory";
        case ErrorCode::internal: return "internal error";
    }
    return "unknown error";
}

std::string Error::describe() const { return std::string(to_string(code)) + ": " + message; }

}  // namespace corral
