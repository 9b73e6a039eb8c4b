// CIFAR binary batches. CIFAR-10: records of 1 label byte + 3072 pixel bytes (data_batch_N.bin,
// test_batch.bin, batches.meta.txt). CIFAR-100: 1 coarse + 1 fine label byte + 3072 bytes
// (train.bin, test.bin, coarse_label_names.txt, fine_label_names.txt). Pixels are stored as
// three 32x32 planes (R, G, B).
#include <algorithm>
#include <fstream>
#include <optional>
#include <string>

#include "data/packed_dataset.h"

namespace corral::detail {
namespace {

namespace fs = std::filesystem;
constexpr int kSide = 32;
constexpr std::size_t kPlane = kSide * kSide;
constexpr std::size_t kPixelBytes = 3 * kPlane;

std::vector<std::string> read_names(const fs::path& path) {
    std::vector<std::string> names;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (!line.empty()) names.push_back(line);
    }
    return names;
}

struct CifarLayout {
    std::vector<fs::path> files;
    std::size_t label_bytes = 1;
    std::size_t label_offset = 0;  // which label byte to use
    fs::path names_file;
    int class_count = 10;
};

std::optional<CifarLayout> detect_layout(const fs::path& folder, bool fine_labels) {
    std::error_code error;
    CifarLayout layout;
    if (fs::exists(folder / "train.bin", error) || fs::exists(folder / "test.bin", error)) {
        layout.label_bytes = 2;
        layout.label_offset = fine_labels ? 1 : 0;
        layout.class_count = fine_labels ? 100 : 20;
        layout.names_file = folder / (fine_labels ? "fine_label_names.txt" : "coarse_label_names.txt");
        for (const char* name : {"train.bin", "test.bin"}) {
            if (fs::exists(folder / name, error)) layout.files.push_back(folder / name);
        }
        return layout;
    }
    for (const auto& entry : fs::directory_iterator(folder, error)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("data_batch_", 0) == 0 && entry.path().extension() == ".bin") layout.files.push_back(entry.path());
    }
    std::sort(layout.files.begin(), layout.files.end());
    if (fs::exists(folder / "test_batch.bin", error)) layout.files.push_back(folder / "test_batch.bin");
    if (layout.files.empty()) return std::nullopt;
    layout.names_file = folder / "batches.meta.txt";
    return layout;
}

}  // namespace

bool folder_has_cifar(const fs::path& folder) { return detect_layout(folder, false).has_value(); }

Expected<std::unique_ptr<Dataset>> open_cifar_folder(const fs::path& folder, bool fine_labels) {
    auto layout = detect_layout(folder, fine_labels);
    if (!layout) return make_error(ErrorCode::not_found, folder.string() + ": no CIFAR binary batches");
    const std::size_t record = layout->label_bytes + kPixelBytes;
    std::vector<std::uint8_t> pixels;
    std::vector<int> labels;
    std::vector<PackedDataset::Part> parts;
    for (const auto& file : layout->files) {
        auto bytes = read_maybe_gzipped(file);
        if (!bytes) return bytes.error();
        if (bytes->empty() || bytes->size() % record != 0) {
            return make_error(ErrorCode::corrupt_data, file.string() + ": size " + std::to_string(bytes->size()) +
                                                           " is not a whole number of " + std::to_string(record) +
                                                           "-byte CIFAR records");
        }
        const std::size_t count = bytes->size() / record;
        const std::size_t base = pixels.size();
        pixels.resize(base + count * kPixelBytes);
        for (std::size_t i = 0; i < count; ++i) {
            const std::uint8_t* source = bytes->data() + i * record;
            const int label = source[layout->label_offset];
            if (label >= layout->class_count) {
                return make_error(ErrorCode::corrupt_data, file.string() + ": record " + std::to_string(i) +
                                                               " has label " + std::to_string(label));
            }
            labels.push_back(label);
            const std::uint8_t* planes = source + layout->label_bytes;
            std::uint8_t* target = pixels.data() + base + i * kPixelBytes;
            for (std::size_t p = 0; p < kPlane; ++p) {
                target[3 * p] = planes[p];
                target[3 * p + 1] = planes[kPlane + p];
                target[3 * p + 2] = planes[2 * kPlane + p];
            }
        }
        parts.push_back({file, static_cast<std::int64_t>(count)});
    }
    std::vector<std::string> names = read_names(layout->names_file);
    names.resize(static_cast<std::size_t>(layout->class_count));
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i].empty()) names[i] = "class " + std::to_string(i);
    }
    std::string description = layout->label_bytes == 2 ? (fine_labels ? "cifar-100" : "cifar-100 (20 superclasses)")
                                                        : "cifar-10";
    return std::unique_ptr<Dataset>(new PackedDataset(std::move(description), kSide, kSide, 3, std::move(pixels),
                                                      std::move(labels), std::move(names), std::move(parts)));
}

}  // namespace corral::detail
