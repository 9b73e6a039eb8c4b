#include "data/packed_dataset.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>

namespace corral::detail {

PackedDataset::PackedDataset(std::string description, int width, int height, int channels,
                             std::vector<std::uint8_t> pixels, std::vector<int> labels,
                             std::vector<std::string> class_names, std::vector<Part> parts)
    : description_(std::move(description)), width_(width), height_(height), channels_(channels),
      count_(static_cast<std::int64_t>(pixels.size() / (static_cast<std::size_t>(width) * height * channels))),
      pixels_(std::move(pixels)), parts_(std::move(parts)) {
    labels_ = std::move(labels);
    class_names_ = std::move(class_names);
    original_index_.resize(static_cast<std::size_t>(count_));
    for (std::int64_t i = 0; i < count_; ++i) original_index_[static_cast<std::size_t>(i)] = i;
}

Expected<Image> PackedDataset::load_image(std::int64_t index) const {
    if (index < 0 || index >= count_) {
        return make_error(ErrorCode::invalid_argument, "image index " + std::to_string(index) + " out of range");
    }
    const std::size_t bytes = static_cast<std::size_t>(width_) * height_ * channels_;
    Image image{width_, height_, channels_, {}};
    auto begin = pixels_.begin() + static_cast<std::ptrdiff_t>(bytes * static_cast<std::size_t>(index));
    image.pixels.assign(begin, begin + static_cast<std::ptrdiff_t>(bytes));
    return image;
}

std::pair<std::size_t, std::int64_t> PackedDataset::locate(std::int64_t index) const {
    std::int64_t position = original_index_[static_cast<std::size_t>(index)];
    for (std::size_t part = 0; part < parts_.size(); ++part) {
        if (position < parts_[part].count) return {part, position};
        position -= parts_[part].count;
    }
    return {parts_.size() - 1, position};
}

std::string PackedDataset::item_name(std::int64_t index) const {
    auto [part, within] = locate(index);
    return parts_[part].file.filename().string() + "#" + std::to_string(within);
}

std::filesystem::path PackedDataset::item_file(std::int64_t index) const { return parts_[locate(index).first].file; }

void PackedDataset::keep(const std::vector<std::int64_t>& indices) {
    const std::size_t bytes = static_cast<std::size_t>(width_) * height_ * channels_;
    std::vector<std::uint8_t> pixels(bytes * indices.size());
    std::vector<int> labels;
    std::vector<std::int64_t> original;
    for (std::size_t k = 0; k < indices.size(); ++k) {
        const auto i = static_cast<std::size_t>(indices[k]);
        std::copy_n(pixels_.begin() + static_cast<std::ptrdiff_t>(bytes * i), bytes,
                    pixels.begin() + static_cast<std::ptrdiff_t>(bytes * k));
        if (!labels_.empty()) labels.push_back(labels_[i]);
        original.push_back(original_index_[i]);
    }
    pixels_ = std::move(pixels);
    labels_ = std::move(labels);
    original_index_ = std::move(original);
    count_ = static_cast<std::int64_t>(indices.size());
}

Expected<std::vector<std::uint8_t>> read_maybe_gzipped(const std::filesystem::path& path) {
    // gzread passes files that are not gzip-compressed through unchanged.
    gzFile file = gzopen(path.c_str(), "rb");
    if (!file) return make_error(ErrorCode::io_error, path.string() + ": cannot open for reading");
    std::vector<std::uint8_t> bytes;
    std::vector<std::uint8_t> chunk(1 << 20);
    while (true) {
        const int read = gzread(file, chunk.data(), static_cast<unsigned>(chunk.size()));
        if (read < 0) {
            int code = 0;
            std::string message = gzerror(file, &code);
            gzclose(file);
            return make_error(ErrorCode::corrupt_data, path.string() + ": " + message);
        }
        if (read == 0) break;
        bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + read);
    }
    // A gzip stream cut short reads as a clean end of file; gzclose reports the missing trailer.
    const int close_status = gzclose(file);
    if (close_status != Z_OK) {
        return make_error(ErrorCode::corrupt_data, path.string() + ": compressed stream is truncated or damaged");
    }
    return bytes;
}

}  // namespace corral::detail
