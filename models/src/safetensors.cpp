#include "corral/models/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <tuple>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "corral/models/model_error.h"

namespace corral::models {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian; so must the host be");

namespace {

// The reference implementation refuses headers above 100 MB; so do we, before allocating anything.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

struct DtypeInfo {
    const char* name;
    std::size_t size;
    std::optional<torch::ScalarType> torch_type;
};

const DtypeInfo kDtypes[] = {
    {"F64", 8, torch::kFloat64}, {"F32", 4, torch::kFloat32}, {"F16", 2, torch::kFloat16},
    {"BF16", 2, torch::kBFloat16}, {"I64", 8, torch::kInt64}, {"I32", 4, torch::kInt32},
    {"I16", 2, torch::kInt16}, {"I8", 1, torch::kInt8}, {"U8", 1, torch::kUInt8},
    {"BOOL", 1, torch::kBool}, {"U64", 8, std::nullopt}, {"U32", 4, std::nullopt},
    {"U16", 2, std::nullopt}, {"F8_E4M3", 1, std::nullopt}, {"F8_E5M2", 1, std::nullopt},
};

const DtypeInfo* find_dtype(const std::string& name) {
    for (const auto& info : kDtypes) {
        if (name == info.name) return &info;
    }
    return nullptr;
}

const DtypeInfo* find_dtype(torch::ScalarType type) {
    for (const auto& info : kDtypes) {
        if (info.torch_type == type) return &info;
    }
    return nullptr;
}

[[noreturn]] void fail(const std::string& file, const std::string& what) {
    throw ModelError(ModelErrorKind::corrupt, file + ": " + what);
}

}  // namespace

std::size_t safetensors_dtype_size(const std::string& dtype) {
    const auto* info = find_dtype(dtype);
    return info ? info->size : 0;
}

struct SafetensorsFile::Storage {
    const unsigned char* data = nullptr;
    std::uint64_t size = 0;
    std::string owned;
    void* mapping = nullptr;

    Storage() = default;
    Storage(const Storage&) = delete;
    Storage& operator=(const Storage&) = delete;
    ~Storage() {
        if (mapping) munmap(mapping, size);
    }
};

SafetensorsFile::SafetensorsFile(std::shared_ptr<const Storage> storage, std::string name)
    : storage_(std::move(storage)), name_(std::move(name)) {}

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path) {
    const int descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (descriptor < 0) {
        const int error = errno;
        throw ModelError(error == ENOENT ? ModelErrorKind::missing : ModelErrorKind::io,
                         path.string() + ": cannot open (" + std::strerror(error) + ")");
    }
    struct stat status {};
    if (fstat(descriptor, &status) != 0 || !S_ISREG(status.st_mode)) {
        ::close(descriptor);
        throw ModelError(ModelErrorKind::io, path.string() + ": not a regular file");
    }
    auto storage = std::make_shared<Storage>();
    storage->size = static_cast<std::uint64_t>(status.st_size);
    if (storage->size > 0) {
        void* mapping = mmap(nullptr, storage->size, PROT_READ, MAP_PRIVATE, descriptor, 0);
        if (mapping == MAP_FAILED) {
            const int error = errno;
            ::close(descriptor);
            throw ModelError(ModelErrorKind::io, path.string() + ": cannot map (" + std::strerror(error) + ")");
        }
        storage->mapping = mapping;
        storage->data = static_cast<const unsigned char*>(mapping);
    }
    ::close(descriptor);
    SafetensorsFile file(std::move(storage), path.string());
    file.validate();
    return file;
}

SafetensorsFile SafetensorsFile::parse(std::string bytes, const std::string& name) {
    auto storage = std::make_shared<Storage>();
    storage->owned = std::move(bytes);
    storage->data = reinterpret_cast<const unsigned char*>(storage->owned.data());
    storage->size = storage->owned.size();
    SafetensorsFile file(std::move(storage), name);
    file.validate();
    return file;
}

void SafetensorsFile::validate() {
    const std::uint64_t file_size = storage_->size;
    if (file_size < 8) fail(name_, "file is " + std::to_string(file_size) + " bytes, too short for a safetensors header");
    std::uint64_t header_size = 0;
    std::memcpy(&header_size, storage_->data, 8);
    if (header_size < 2) fail(name_, "header length " + std::to_string(header_size) + " is too small for a JSON object");
    if (header_size > kMaxHeaderBytes) {
        fail(name_, "header length " + std::to_string(header_size) + " exceeds the 100 MB limit (not a safetensors file?)");
    }
    if (header_size > file_size - 8) {
        fail(name_, "header length " + std::to_string(header_size) + " runs past the end of the file (" +
                        std::to_string(file_size) + " bytes; truncated?)");
    }
    const char* header_text = reinterpret_cast<const char*>(storage_->data + 8);
    if (header_text[0] != '{') fail(name_, "header does not start with '{'");
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(header_text, header_text + header_size);
    } catch (const nlohmann::json::exception& error) {
        fail(name_, std::string("header is not valid JSON (") + error.what() + ")");
    }
    if (!header.is_object()) fail(name_, "header is not a JSON object");
    data_offset_ = 8 + header_size;
    const std::uint64_t data_size = file_size - data_offset_;

    std::vector<std::pair<std::string, const SafetensorsEntry*>> by_offset;
    for (const auto& [key, value] : header.items()) {
        if (key == "__metadata__") {
            if (!value.is_object()) fail(name_, "__metadata__ is not an object");
            for (const auto& [meta_key, meta_value] : value.items()) {
                if (!meta_value.is_string()) fail(name_, "__metadata__." + meta_key + " is not a string");
                metadata_[meta_key] = meta_value.get<std::string>();
            }
            continue;
        }
        const std::string where = "tensor '" + key + "'";
        if (!value.is_object()) fail(name_, where + " is not described by an object");
        const auto dtype = value.find("dtype");
        const auto shape = value.find("shape");
        const auto offsets = value.find("data_offsets");
        if (dtype == value.end() || !dtype->is_string()) fail(name_, where + " has no dtype string");
        if (shape == value.end() || !shape->is_array()) fail(name_, where + " has no shape array");
        if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
            !(*offsets)[1].is_number_unsigned()) {
            fail(name_, where + " has no data_offsets pair of non-negative integers");
        }
        SafetensorsEntry entry;
        entry.dtype = dtype->get<std::string>();
        const DtypeInfo* info = find_dtype(entry.dtype);
        if (!info) fail(name_, where + " has unknown dtype '" + entry.dtype + "'");
        // Overflow-checked element count: a lying shape must not wrap around to a plausible size.
        std::uint64_t elements = 1;
        bool overflow = false;
        for (const auto& dimension : *shape) {
            if (!dimension.is_number_unsigned()) fail(name_, where + " has a shape entry that is not a non-negative integer");
            const auto extent = dimension.get<std::uint64_t>();
            if (extent > static_cast<std::uint64_t>(INT64_MAX)) overflow = true;
            else if (extent != 0 && elements > UINT64_MAX / extent) overflow = true;
            else elements *= extent;
            entry.shape.push_back(static_cast<std::int64_t>(extent));
        }
        if (overflow || elements > UINT64_MAX / info->size) fail(name_, where + " has a shape too large to exist");
        entry.begin = (*offsets)[0].get<std::uint64_t>();
        entry.end = (*offsets)[1].get<std::uint64_t>();
        if (entry.begin > entry.end) fail(name_, where + " has data_offsets that end before they begin");
        if (entry.end > data_size) {
            fail(name_, where + " ends at byte " + std::to_string(entry.end) + " of a " + std::to_string(data_size) +
                            "-byte data area (truncated file?)");
        }
        if (entry.end - entry.begin != elements * info->size) {
            fail(name_, where + " spans " + std::to_string(entry.end - entry.begin) + " bytes but its shape and dtype need " +
                            std::to_string(elements * info->size));
        }
        if ((data_offset_ + entry.begin) % info->size != 0) {
            fail(name_, where + " starts at file byte " + std::to_string(data_offset_ + entry.begin) +
                            ", not aligned to its " + std::to_string(info->size) + "-byte elements");
        }
        entries_[key] = std::move(entry);
    }
    for (const auto& [key, entry] : entries_) by_offset.emplace_back(key, &entry);
    std::sort(by_offset.begin(), by_offset.end(), [](const auto& a, const auto& b) {
        return std::tie(a.second->begin, a.second->end) < std::tie(b.second->begin, b.second->end);
    });
    // Tensors must tile the data area exactly, as the reference reader demands: overlaps mean a
    // lying header, gaps or trailing bytes a file that is not what its header says.
    std::uint64_t expected_begin = 0;
    std::string previous;
    for (const auto& [key, entry] : by_offset) {
        if (entry->begin < expected_begin) fail(name_, "tensor '" + key + "' overlaps tensor '" + previous + "'");
        if (entry->begin > expected_begin) {
            fail(name_, "gap of " + std::to_string(entry->begin - expected_begin) + " bytes before tensor '" + key + "'");
        }
        expected_begin = entry->end;
        previous = key;
    }
    if (expected_begin != data_size) {
        fail(name_, "data area has " + std::to_string(data_size - expected_begin) +
                        " bytes beyond the last tensor the header describes");
    }
}

torch::Tensor SafetensorsFile::tensor(const std::string& tensor_name) const {
    const auto found = entries_.find(tensor_name);
    if (found == entries_.end()) throw ModelError(ModelErrorKind::missing, name_ + ": no tensor named '" + tensor_name + "'");
    const SafetensorsEntry& entry = found->second;
    const DtypeInfo* info = find_dtype(entry.dtype);
    if (!info->torch_type) {
        throw ModelError(ModelErrorKind::unsupported,
                         name_ + ": tensor '" + tensor_name + "' has dtype " + entry.dtype + ", which LibTorch cannot hold");
    }
    auto result = torch::empty(entry.shape, torch::TensorOptions().dtype(*info->torch_type));
    if (entry.end > entry.begin) {
        std::memcpy(result.data_ptr(), storage_->data + data_offset_ + entry.begin, entry.end - entry.begin);
    }
    return result;
}

std::string serialize_safetensors(const std::map<std::string, torch::Tensor>& tensors,
                                  const std::map<std::string, std::string>& metadata) {
    // Widest elements first keeps every tensor aligned to its element size without padding.
    std::vector<std::pair<std::string, torch::Tensor>> ordered;
    for (const auto& [name, tensor] : tensors) {
        if (name == "__metadata__") throw std::invalid_argument("'__metadata__' cannot name a tensor");
        const DtypeInfo* info = find_dtype(tensor.scalar_type());
        if (!info) throw std::invalid_argument("tensor '" + name + "' has a dtype safetensors cannot store");
        ordered.emplace_back(name, tensor.detach().to(torch::kCPU).contiguous());
    }
    std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
        return a.second.element_size() > b.second.element_size();
    });
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::uint64_t offset = 0;
    for (const auto& [name, tensor] : ordered) {
        const std::uint64_t bytes = static_cast<std::uint64_t>(tensor.numel()) * tensor.element_size();
        header[name] = {{"dtype", find_dtype(tensor.scalar_type())->name},
                        {"shape", tensor.sizes().vec()},
                        {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    std::string header_text = header.dump();
    header_text.append((8 - header_text.size() % 8) % 8, ' ');
    const std::uint64_t header_size = header_text.size();
    std::string bytes(8, '\0');
    std::memcpy(bytes.data(), &header_size, 8);
    bytes += header_text;
    bytes.reserve(bytes.size() + offset);
    for (const auto& [name, tensor] : ordered) {
        bytes.append(static_cast<const char*>(tensor.data_ptr()), static_cast<std::size_t>(tensor.numel() * tensor.element_size()));
    }
    return bytes;
}

void write_safetensors(const std::filesystem::path& path, const std::map<std::string, torch::Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
    const std::string bytes = serialize_safetensors(tensors, metadata);
    auto temporary = path;
    temporary += ".partial";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.flush();
        if (!out) throw ModelError(ModelErrorKind::io, temporary.string() + ": cannot write");
    }
    std::filesystem::rename(temporary, path);
}

}  // namespace corral::models
