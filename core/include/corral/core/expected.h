#pragma once
// Errors cross core's public boundary as values: Expected<T> holds either a T or an Error
// (a code a caller can branch on, and a message a person can read). No exception escapes core.
#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace corral {

enum class ErrorCode {
    invalid_argument,  // the caller asked for something malformed (bad spec, wrong shape)
    not_found,         // a file, dataset, clustering or record does not exist
    io_error,          // the operating system refused a read or write
    corrupt_data,      // a file exists but its content is damaged or lies about itself
    unsupported,       // a valid request this build or version cannot serve
    version_too_new,   // written by a newer Corral; refused so it is not damaged
    busy,              // another process holds the resource (for example a project lock)
    disk_full,         // a write ran out of space; nothing was half-written
    cancelled,         // the job was asked to stop
    out_of_memory,     // an allocation failed (the input was too large for this machine's memory)
    internal,          // a bug: an invariant broke
};

std::string_view to_string(ErrorCode code);

struct Error {
    ErrorCode code = ErrorCode::internal;
    std::string message;

    // "corrupt_data: image.png: not a PNG file" — what a log or an error dialog shows.
    std::string describe() const;
};

inline Error make_error(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

template <typename T>
class [[nodiscard]] Expected {
public:
    Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    Expected(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

    bool has_value() const { return state_.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() & { assert(has_value()); return std::get<0>(state_); }
    const T& value() const& { assert(has_value()); return std::get<0>(state_); }
    T&& value() && { assert(has_value()); return std::get<0>(std::move(state_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const { assert(!has_value()); return std::get<1>(state_); }

private:
    std::variant<T, Error> state_;
};

// Expected<void>: success carries nothing.
struct Ok {};
using Status = Expected<Ok>;
inline Status ok() { return Ok{}; }

}  // namespace corral
