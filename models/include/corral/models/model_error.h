#pragma once
// The one exception type models/ throws for model files: what went wrong (so core can map it
// to an ErrorCode at its boundary) and a message that names the file and the fault.
#include <stdexcept>
#include <string>

namespace corral::models {

enum class ModelErrorKind {
    missing,      // a required file or tensor is absent
    corrupt,      // a file exists but its content is damaged or lies about itself
    unsupported,  // a valid file this build cannot use (an unknown activation, dtype)
    io,           // the operating system refused a read
};

class ModelError : public std::runtime_error {
public:
    ModelError(ModelErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    ModelErrorKind kind() const { return kind_; }

private:
    ModelErrorKind kind_;
};

}  // namespace corral::models
