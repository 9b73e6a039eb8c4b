#pragma once
// Private to core: some items of another dataset, in the order given, read through it (no copy).
// The base must outlive the subset. Ground truth follows the items; skipped files and duplicates
// are the base's.
#include <string>
#include <vector>

#include "corral/core/dataset.h"

namespace corral::detail {

class SubsetDataset final : public Dataset {
public:
    SubsetDataset(const Dataset& base, std::vector<std::int64_t> items) : base_(base), items_(std::move(items)) {
        const auto& labels = base.labels();
        if (!labels.empty()) {
            for (const auto item : items_) labels_.push_back(labels[static_cast<std::size_t>(item)]);
        }
        class_names_ = base.class_names();
    }
    // Up to `count` items spread evenly over `base` (its first item among them).
    static SubsetDataset evenly_spaced(const Dataset& base, std::int64_t count) {
        std::vector<std::int64_t> items;
        const std::int64_t n = base.size();
        const std::int64_t kept = std::min(count, n);
        for (std::int64_t k = 0; k < kept; ++k) items.push_back(k * n / kept);
        return SubsetDataset(base, std::move(items));
    }

    std::string description() const override {
        return base_.description() + " (" + std::to_string(items_.size()) + " of its images)";
    }
    std::int64_t size() const override { return static_cast<std::int64_t>(items_.size()); }
    Expected<Image> load_image(std::int64_t index) const override { return base_.load_image(item(index)); }
    Expected<Image> load_image(std::int64_t index, const ImageRequest& request) const override {
        return base_.load_image(item(index), request);
    }
    std::string item_name(std::int64_t index) const override { return base_.item_name(item(index)); }
    std::filesystem::path item_file(std::int64_t index) const override { return base_.item_file(item(index)); }
    const Dataset& base() const { return base_; }

private:
    std::int64_t item(std::int64_t index) const { return items_[static_cast<std::size_t>(index)]; }
    const Dataset& base_;
    std::vector<std::int64_t> items_;
};

}  // namespace corral::detail
