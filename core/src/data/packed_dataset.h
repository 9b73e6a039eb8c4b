#pragma once
// A dataset whose images all have one shape and live in memory (IDX and CIFAR files).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "corral/core/dataset.h"

namespace corral::detail {

class PackedDataset final : public Dataset {
public:
    struct Part {
        std::filesystem::path file;
        std::int64_t count = 0;  // items of this part, in order
    };

    PackedDataset(std::string description, int width, int height, int channels, std::vector<std::uint8_t> pixels,
                  std::vector<int> labels, std::vector<std::string> class_names, std::vector<Part> parts);

    std::string description() const override { return description_; }
    std::int64_t size() const override { return count_; }
    Expected<Image> load_image(std::int64_t index) const override;
    std::string item_name(std::int64_t index) const override;
    std::filesystem::path item_file(std::int64_t index) const override;

    // Keeps only the items at `indices` (ascending).
    void keep(const std::vector<std::int64_t>& indices);

private:
    std::pair<std::size_t, std::int64_t> locate(std::int64_t index) const;  // part, index within part

    std::string description_;
    int width_, height_, channels_;
    std::int64_t count_;
    std::vector<std::uint8_t> pixels_;
    std::vector<Part> parts_;
    std::vector<std::int64_t> original_index_;  // position in the concatenated parts
};

Expected<std::unique_ptr<Dataset>> open_idx(const std::filesystem::path& images, const std::filesystem::path& labels,
                                            std::string description);
Expected<std::unique_ptr<Dataset>> open_idx_folder(const std::filesystem::path& folder, std::string_view subset);
Expected<std::unique_ptr<Dataset>> open_cifar_folder(const std::filesystem::path& folder, bool fine_labels);
Expected<std::unique_ptr<Dataset>> open_image_folder(const std::filesystem::path& folder, bool keep_duplicates,
                                                     const DatasetOptions& options, const JobContext& job);
// check_images for an image folder's dataset; others come back as they are.
Expected<std::unique_ptr<Dataset>> check_folder_images(std::unique_ptr<Dataset> dataset, const JobContext& job);

bool folder_has_idx(const std::filesystem::path& folder);
bool folder_has_cifar(const std::filesystem::path& folder);

// Reads a whole file, transparently gunzipping it if it is gzip-compressed.
Expected<std::vector<std::uint8_t>> read_maybe_gzipped(const std::filesystem::path& path);

}  // namespace corral::detail
