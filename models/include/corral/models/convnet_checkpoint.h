#pragma once
// Checkpoint I/O for the convnet: safetensors files (see safetensors.h; written to a temporary
// name and renamed, so a crash never leaves a half-written checkpoint), module state by name.
// Failures throw CheckpointError.
#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>

namespace corral::models {

class CheckpointError : public std::runtime_error {
public:
    enum class Kind { not_found, io_error, corrupt };
    CheckpointError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    Kind kind() const { return kind_; }

private:
    Kind kind_;
};

using NamedTensors = std::map<std::string, torch::Tensor>;
using CheckpointMetadata = std::map<std::string, std::string>;

struct TensorFile {
    NamedTensors tensors;  // CPU, contiguous
    CheckpointMetadata metadata;
};

// Safetensors files through models/safetensors.h. Tensors may live on any device; they are
// copied to the CPU. Both throw CheckpointError.
void write_checkpoint(const std::filesystem::path& path, const NamedTensors& tensors,
                      const CheckpointMetadata& metadata = {});
TensorFile read_checkpoint(const std::filesystem::path& path);

// Every parameter and buffer of a module by its dotted name (CPU copies).
NamedTensors module_state(const torch::nn::Module& module);
// Copies tensors into the module's parameters and buffers (any device). Throws CheckpointError
// (corrupt) when a name is missing or a shape differs; extra tensors are an error too.
void load_module_state(torch::nn::Module& module, const NamedTensors& tensors);

}  // namespace corral::models
