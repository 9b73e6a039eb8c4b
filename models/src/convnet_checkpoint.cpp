#include "corral/models/convnet_checkpoint.h"

#include <nlohmann/json.hpp>

#include <bit>
#include <cstring>
#include <fstream>
#include <set>

namespace corral::models {
namespace {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

// A header larger than this is a damaged length field, not a real model.
constexpr std::uint64_t max_header_bytes = 100u << 20;

struct DtypeName {
    torch::ScalarType type;
    const char* name;
};
constexpr DtypeName dtype_names[] = {{torch::kFloat32, "F32"}, {torch::kFloat64, "F64"}, {torch::kInt64, "I64"},
                                     {torch::kInt32, "I32"},   {torch::kUInt8, "U8"}};

const char* dtype_name(torch::ScalarType type) {
    for (const auto& entry : dtype_names) {
        if (entry.type == type) return entry.name;
    }
    throw CheckpointError(CheckpointError::Kind::io_error,
                          std::string("cannot store tensors of type ") + c10::toString(type) + " in safetensors");
}

torch::ScalarType dtype_from_name(const std::string& name, const std::filesystem::path& path) {
    for (const auto& entry : dtype_names) {
        if (name == entry.name) return entry.type;
    }
    throw CheckpointError(CheckpointError::Kind::corrupt, path.string() + ": unsupported dtype '" + name + "'");
}

[[noreturn]] void corrupt(const std::filesystem::path& path, const std::string& what) {
    throw CheckpointError(CheckpointError::Kind::corrupt, path.string() + ": " + what);
}

}  // namespace

void write_safetensors(const std::filesystem::path& path, const NamedTensors& tensors,
                       const CheckpointMetadata& metadata) {
    nlohmann::json header = nlohmann::json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::vector<torch::Tensor> contiguous;
    std::uint64_t offset = 0;
    for (const auto& [name, tensor] : tensors) {
        auto cpu = tensor.detach().to(torch::kCPU).contiguous();
        const auto bytes = static_cast<std::uint64_t>(cpu.numel()) * cpu.element_size();
        header[name] = {{"dtype", dtype_name(cpu.scalar_type())},
                        {"shape", cpu.sizes().vec()},
                        {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
        contiguous.push_back(std::move(cpu));
    }
    std::string header_text = header.dump();
    // The format asks for the data to start 8-byte aligned; pad the header with spaces.
    header_text.append((8 - header_text.size() % 8) % 8, ' ');
    const std::uint64_t header_length = header_text.size();

    auto temporary = path;
    temporary += ".partial";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) throw CheckpointError(CheckpointError::Kind::io_error, "cannot write " + temporary.string());
        out.write(reinterpret_cast<const char*>(&header_length), sizeof header_length);
        out.write(header_text.data(), static_cast<std::streamsize>(header_text.size()));
        for (const auto& tensor : contiguous) {
            out.write(static_cast<const char*>(tensor.data_ptr()),
                      static_cast<std::streamsize>(tensor.numel() * tensor.element_size()));
        }
        out.flush();
        if (!out) {
            std::error_code ignored;
            std::filesystem::remove(temporary, ignored);
            throw CheckpointError(CheckpointError::Kind::io_error, "writing " + temporary.string() + " failed (disk full?)");
        }
    }
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    if (error) throw CheckpointError(CheckpointError::Kind::io_error, "cannot rename to " + path.string() + ": " + error.message());
}

TensorFile read_safetensors(const std::filesystem::path& path) {
    std::error_code error;
    if (!std::filesystem::exists(path, error)) throw CheckpointError(CheckpointError::Kind::not_found, path.string() + " does not exist");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw CheckpointError(CheckpointError::Kind::io_error, "cannot open " + path.string());
    const auto file_size = std::filesystem::file_size(path, error);
    if (error) throw CheckpointError(CheckpointError::Kind::io_error, "cannot stat " + path.string());
    if (file_size < 8) corrupt(path, "too short for a safetensors file");
    std::uint64_t header_length = 0;
    in.read(reinterpret_cast<char*>(&header_length), sizeof header_length);
    if (header_length > max_header_bytes || header_length > file_size - 8) corrupt(path, "header length out of range (truncated?)");
    std::string header_text(header_length, '\0');
    in.read(header_text.data(), static_cast<std::streamsize>(header_length));
    if (!in) throw CheckpointError(CheckpointError::Kind::io_error, "cannot read " + path.string());
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(header_text);
    } catch (const nlohmann::json::exception& parse_error) {
        corrupt(path, std::string("bad JSON header: ") + parse_error.what());
    }
    if (!header.is_object()) corrupt(path, "the header is not a JSON object");
    const std::uint64_t data_size = file_size - 8 - header_length;

    TensorFile result;
    try {
        for (const auto& [name, entry] : header.items()) {
            if (name == "__metadata__") {
                for (const auto& [key, value] : entry.items()) result.metadata[key] = value.get<std::string>();
                continue;
            }
            const auto type = dtype_from_name(entry.at("dtype").get<std::string>(), path);
            const auto shape = entry.at("shape").get<std::vector<std::int64_t>>();
            const auto offsets = entry.at("data_offsets").get<std::vector<std::uint64_t>>();
            if (offsets.size() != 2 || offsets[0] > offsets[1] || offsets[1] > data_size) {
                corrupt(path, "tensor '" + name + "' lies outside the file (truncated?)");
            }
            std::int64_t count = 1;
            for (const auto extent : shape) {
                if (extent < 0) corrupt(path, "tensor '" + name + "' has a negative extent");
                count *= extent;
            }
            auto tensor = torch::empty(shape, torch::TensorOptions().dtype(type));
            const auto bytes = static_cast<std::uint64_t>(count) * tensor.element_size();
            if (bytes != offsets[1] - offsets[0]) corrupt(path, "tensor '" + name + "' size does not match its shape");
            in.seekg(static_cast<std::streamoff>(8 + header_length + offsets[0]));
            in.read(static_cast<char*>(tensor.data_ptr()), static_cast<std::streamsize>(bytes));
            if (!in) throw CheckpointError(CheckpointError::Kind::io_error, "cannot read tensor '" + name + "' of " + path.string());
            result.tensors.emplace(name, std::move(tensor));
        }
    } catch (const nlohmann::json::exception& field_error) {
        corrupt(path, std::string("malformed header entry: ") + field_error.what());
    }
    return result;
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
