// IDX (the MNIST format): big-endian magic 0x00000803 (uint8, 3 dims) for images and
// 0x00000801 for labels, then the dimension sizes, then the raw bytes.
#include <array>
#include <string>

#include "data/packed_dataset.h"

namespace corral::detail {
namespace {

namespace fs = std::filesystem;

std::uint32_t read_big_endian(const std::vector<std::uint8_t>& bytes, std::size_t offset) {
    return (std::uint32_t{bytes[offset]} << 24) | (std::uint32_t{bytes[offset + 1]} << 16) |
           (std::uint32_t{bytes[offset + 2]} << 8) | std::uint32_t{bytes[offset + 3]};
}

struct IdxArray {
    std::vector<std::uint32_t> dimensions;
    std::vector<std::uint8_t> bytes;  // the whole file; payload starts at payload_offset
    std::size_t payload_offset = 0;
};

Expected<IdxArray> read_idx(const fs::path& path, std::size_t expected_rank) {
    auto bytes = read_maybe_gzipped(path);
    if (!bytes) return bytes.error();
    IdxArray array;
    array.bytes = std::move(*bytes);
    const auto& data = array.bytes;
    if (data.size() < 4 || data[0] != 0 || data[1] != 0) {
        return make_error(ErrorCode::corrupt_data, path.string() + ": not an IDX file (bad magic number)");
    }
    if (data[2] != 0x08) {
        return make_error(ErrorCode::unsupported, path.string() + ": IDX element type " + std::to_string(data[2]) +
                                                      " is not unsigned byte");
    }
    const std::size_t rank = data[3];
    if (rank != expected_rank) {
        return make_error(ErrorCode::corrupt_data, path.string() + ": IDX file has " + std::to_string(rank) +
                                                       " dimensions, expected " + std::to_string(expected_rank));
    }
    if (data.size() < 4 + 4 * rank) return make_error(ErrorCode::corrupt_data, path.string() + ": truncated IDX header");
    std::uint64_t elements = 1;
    for (std::size_t d = 0; d < rank; ++d) {
        array.dimensions.push_back(read_big_endian(data, 4 + 4 * d));
        elements *= array.dimensions.back();
    }
    array.payload_offset = 4 + 4 * rank;
    if (data.size() - array.payload_offset != elements) {
        return make_error(ErrorCode::corrupt_data, path.string() + ": IDX header promises " + std::to_string(elements) +
                                                       " bytes of data, file holds " +
                                                       std::to_string(data.size() - array.payload_offset));
    }
    return array;
}

std::vector<std::string> default_class_names(const fs::path& images) {
    // Fashion-MNIST and MNIST share the IDX format; the file location tells them apart.
    if (images.string().find("fashion") != std::string::npos) {
        return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    }
    std::vector<std::string> names;
    for (int digit = 0; digit < 10; ++digit) names.push_back(std::to_string(digit));
    return names;
}

// The labels file that belongs to an images file: "x-images-idx3-ubyte[.gz]" -> "x-labels-idx1-ubyte[.gz]".
fs::path labels_for(const fs::path& images) {
    std::string name = images.filename().string();
    for (auto [from, to] : {std::pair{"images", "labels"}, std::pair{"idx3", "idx1"}}) {
        if (auto at = name.find(from); at != std::string::npos) name.replace(at, std::string(from).size(), to);
    }
    return images.parent_path() / name;
}

struct IdxPart {
    fs::path images;
    fs::path labels;  // empty when the part has no labels file
};

Expected<std::unique_ptr<Dataset>> open_idx_parts(const std::vector<IdxPart>& files, std::string description) {
    std::vector<std::uint8_t> pixels;
    std::vector<int> labels;
    std::vector<PackedDataset::Part> parts;
    std::uint32_t height = 0, width = 0;
    bool all_labelled = true;
    for (const auto& file : files) {
        auto images = read_idx(file.images, 3);
        if (!images) return images.error();
        const auto count = images->dimensions[0];
        if (!parts.empty() && (images->dimensions[1] != height || images->dimensions[2] != width)) {
            return make_error(ErrorCode::corrupt_data,
                              file.images.string() + ": image size differs from the other IDX files");
        }
        height = images->dimensions[1];
        width = images->dimensions[2];
        pixels.insert(pixels.end(), images->bytes.begin() + static_cast<std::ptrdiff_t>(images->payload_offset),
                      images->bytes.end());
        parts.push_back({file.images, count});
        if (file.labels.empty()) {
            all_labelled = false;
            continue;
        }
        auto label_array = read_idx(file.labels, 1);
        if (!label_array) return label_array.error();
        if (label_array->dimensions[0] != count) {
            return make_error(ErrorCode::corrupt_data, file.labels.string() + ": holds " +
                                                           std::to_string(label_array->dimensions[0]) +
                                                           " labels for " + std::to_string(count) + " images");
        }
        labels.insert(labels.end(), label_array->bytes.begin() + static_cast<std::ptrdiff_t>(label_array->payload_offset),
                      label_array->bytes.end());
    }
    if (parts.empty()) return make_error(ErrorCode::not_found, "no IDX image files given");
    if (height == 0 || width == 0) return make_error(ErrorCode::corrupt_data, "IDX images have zero size");
    std::vector<std::string> class_names;
    if (all_labelled) {
        class_names = default_class_names(files.front().images);
        int max_label = 0;
        for (int label : labels) max_label = std::max(max_label, label);
        while (static_cast<int>(class_names.size()) <= max_label) class_names.push_back(std::to_string(class_names.size()));
    } else {
        labels.clear();
    }
    return std::unique_ptr<Dataset>(new PackedDataset(std::move(description), static_cast<int>(width),
                                                      static_cast<int>(height), 1, std::move(pixels), std::move(labels),
                                                      std::move(class_names), std::move(parts)));
}

IdxPart part_for(const fs::path& images) {
    const fs::path labels = labels_for(images);
    std::error_code ignored;
    return {images, labels != images && fs::exists(labels, ignored) ? labels : fs::path{}};
}

}  // namespace

Expected<std::unique_ptr<Dataset>> open_idx(const fs::path& images, const fs::path& labels, std::string description) {
    return open_idx_parts({labels.empty() ? part_for(images) : IdxPart{images, labels}}, std::move(description));
}

bool folder_has_idx(const fs::path& folder) {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(folder, error)) {
        if (entry.path().filename().string().find("idx3-ubyte") != std::string::npos) return true;
    }
    return false;
}

Expected<std::unique_ptr<Dataset>> open_idx_folder(const fs::path& folder, std::string_view subset) {
    if (subset != "" && subset != "train" && subset != "test") {
        return make_error(ErrorCode::invalid_argument, "unknown subset '" + std::string(subset) + "' (train or test)");
    }
    // Training files first, then test files, so that item numbers are stable across opens.
    std::vector<fs::path> train, test;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(folder, error)) {
        const std::string name = entry.path().filename().string();
        if (name.find("idx3-ubyte") == std::string::npos) continue;
        const bool is_test = name.rfind("t10k", 0) == 0 || name.find("test") != std::string::npos;
        (is_test ? test : train).push_back(entry.path());
    }
    if (error) return make_error(ErrorCode::io_error, folder.string() + ": " + error.message());
    std::sort(train.begin(), train.end());
    std::sort(test.begin(), test.end());
    std::vector<IdxPart> files;
    if (subset.empty() || subset == "train") for (const auto& file : train) files.push_back(part_for(file));
    if (subset.empty() || subset == "test") for (const auto& file : test) files.push_back(part_for(file));
    if (files.empty()) return make_error(ErrorCode::not_found, folder.string() + ": no *-idx3-ubyte files");
    std::string description = folder.filename().string();
    if (!subset.empty()) description += " (" + std::string(subset) + ")";
    return open_idx_parts(files, description);
}

}  // namespace corral::detail
