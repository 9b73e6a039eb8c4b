#pragma once
// Reader and writer of the safetensors format: an 8-byte little-endian header length N, N bytes
// of JSON ({"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}),
// then the raw little-endian tensor bytes. open()/parse() validate everything before any tensor
// is handed out and throw ModelError (kind corrupt, missing or io) naming the file and the fault.
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace corral::models {

struct SafetensorsEntry {
    std::string dtype;  // "F32", "F16", "BF16", "I64", ...
    std::vector<std::int64_t> shape;
    std::uint64_t begin = 0;  // byte offsets within the data area
    std::uint64_t end = 0;
};

class SafetensorsFile {
public:
    // Memory-maps `path` and validates its header and layout.
    static SafetensorsFile open(const std::filesystem::path& path);
    // Validates an in-memory copy; `name` appears in error messages.
    static SafetensorsFile parse(std::string bytes, const std::string& name = "<memory>");

    bool contains(const std::string& tensor_name) const { return entries_.count(tensor_name) > 0; }
    const std::map<std::string, SafetensorsEntry>& entries() const { return entries_; }
    const std::map<std::string, std::string>& metadata() const { return metadata_; }
    // A CPU tensor owning a copy of the named tensor, in the file's dtype. Throws ModelError
    // (missing) for an unknown name, (unsupported) for a dtype torch lacks (U16/U32/U64/F8).
    torch::Tensor tensor(const std::string& tensor_name) const;

private:
    struct Storage;
    SafetensorsFile(std::shared_ptr<const Storage> storage, std::string name);
    void validate();

    std::shared_ptr<const Storage> storage_;
    std::string name_;
    std::uint64_t data_offset_ = 0;
    std::map<std::string, SafetensorsEntry> entries_;
    std::map<std::string, std::string> metadata_;
};

// Bytes per element of a safetensors dtype, or 0 when the dtype is unknown.
std::size_t safetensors_dtype_size(const std::string& dtype);

// Writes tensors (any supported dtype, CPU or not) as a safetensors file, header padded to 8
// bytes and tensors laid out in name order; the file is written to a temporary name and renamed.
void write_safetensors(const std::filesystem::path& path, const std::map<std::string, torch::Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});
// The same bytes, in memory.
std::string serialize_safetensors(const std::map<std::string, torch::Tensor>& tensors,
                                  const std::map<std::string, std::string>& metadata = {});

}  // namespace corral::models
