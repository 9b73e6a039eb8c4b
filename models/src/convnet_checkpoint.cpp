#include "corral/models/convnet_checkpoint.h"

#include <set>

#include "corral/models/model_error.h"
#include "corral/models/safetensors.h"

namespace corral::models {
namespace {

CheckpointError::Kind checkpoint_kind(ModelErrorKind kind) {
    switch (kind) {
        case ModelErrorKind::missing: return CheckpointError::Kind::not_found;
        case ModelErrorKind::io: return CheckpointError::Kind::io_error;
        case ModelErrorKind::corrupt:
        case ModelErrorKind::unsupported: break;
    }
    return CheckpointError::Kind::corrupt;
}

}  // namespace

// One safetensors implementation serves CLIP weights and convnet checkpoints; this layer only
// turns its errors into the checkpoint vocabulary the convnet code speaks.
void write_checkpoint(const std::filesystem::path& path, const NamedTensors& tensors, const CheckpointMetadata& metadata) {
    try {
        write_safetensors(path, tensors, metadata);
    } catch (const ModelError& error) {
        throw CheckpointError(checkpoint_kind(error.kind()), error.what());
    }
}

TensorFile read_checkpoint(const std::filesystem::path& path) {
    std::error_code error;
    if (!std::filesystem::exists(path, error)) {
        throw CheckpointError(CheckpointError::Kind::not_found, path.string() + " does not exist");
    }
    try {
        const auto file = SafetensorsFile::open(path);
        TensorFile result;
        result.metadata = file.metadata();
        for (const auto& [name, entry] : file.entries()) result.tensors.emplace(name, file.tensor(name));
        return result;
    } catch (const ModelError& model_error) {
        throw CheckpointError(checkpoint_kind(model_error.kind()), model_error.what());
    }
}

NamedTensors module_state(const torch::nn::Module& module) {
    NamedTensors state;
    for (const auto& item : module.named_parameters(true)) state[item.key()] = item.value().detach().to(torch::kCPU).clone();
    for (const auto& item : module.named_buffers(true)) state[item.key()] = item.value().detach().to(torch::kCPU).clone();
    return state;
}

void load_module_state(torch::nn::Module& module, const NamedTensors& tensors) {
    torch::NoGradGuard no_grad;
    std::set<std::string> expected;
    auto assign = [&](const std::string& name, torch::Tensor& target) {
        expected.insert(name);
        const auto found = tensors.find(name);
        if (found == tensors.end()) {
            throw CheckpointError(CheckpointError::Kind::corrupt, "the checkpoint lacks '" + name + "'");
        }
        if (found->second.sizes() != target.sizes()) {
            throw CheckpointError(CheckpointError::Kind::corrupt, "'" + name + "' has the wrong shape in the checkpoint");
        }
        target.copy_(found->second.to(target.dtype()));
    };
    for (auto& item : module.named_parameters(true)) assign(item.key(), item.value());
    for (auto& item : module.named_buffers(true)) assign(item.key(), item.value());
    for (const auto& [name, tensor] : tensors) {
        if (!expected.count(name)) throw CheckpointError(CheckpointError::Kind::corrupt, "unexpected tensor '" + name + "' in the checkpoint");
    }
}

}  // namespace corral::models
