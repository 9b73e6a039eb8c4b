#pragma once
// Image collections: an image folder, IDX files (Fashion-MNIST/MNIST) or CIFAR binary batches.
// A Dataset is read-only once opened and safe to read from several threads. Files that cannot
// be decoded are reported in skipped() and are not part of the dataset.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "corral/core/expected.h"
#include "corral/core/image.h"
#include "corral/core/job.h"

namespace corral {

struct SkippedFile {
    std::filesystem::path path;
    std::string reason;
};

class Dataset {
public:
    virtual ~Dataset() = default;

    // Human-readable description, e.g. "fashion-mnist (70000 images, 10 classes)".
    virtual std::string description() const = 0;
    virtual std::int64_t size() const = 0;
    // Decodes image `index`; fails with io_error/corrupt_data if the file changed since opening.
    virtual Expected<Image> load_image(std::int64_t index) const = 0;
    // A stable name for the item: a file path, or "train-images-idx3-ubyte#123" for packed formats.
    virtual std::string item_name(std::int64_t index) const = 0;
    // The file the item lives in (for packed formats, the packed file).
    virtual std::filesystem::path item_file(std::int64_t index) const = 0;

    // Ground truth, when the source has it: one class index per item (-1 = unlabelled).
    const std::vector<int>& labels() const { return labels_; }
    const std::vector<std::string>& class_names() const { return class_names_; }
    bool has_ground_truth() const { return !class_names_.empty(); }
    const std::vector<SkippedFile>& skipped() const { return skipped_; }

protected:
    std::vector<int> labels_;
    std::vector<std::string> class_names_;
    std::vector<SkippedFile> skipped_;
};

struct DatasetOptions {
    // Decode every image of a folder while opening, so that corrupt files are skipped up front.
    bool validate_images = true;
    // Keep at most this many items (0 = all), chosen by an even stride so classes stay mixed.
    std::int64_t limit = 0;
};

// Opens a dataset from a spec:
//   fashion-mnist[:train|:test]   Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist)
//   idx:DIR | idx:IMAGES[,LABELS] IDX files, gzipped or not
//   cifar:DIR                     CIFAR-10 or CIFAR-100 binary batches (CIFAR-100 uses its 20 coarse classes)
//   cifar100-fine:DIR             CIFAR-100 with its 100 fine classes
//   folder:DIR | DIR              an image folder (format detected: IDX or CIFAR files inside are read as such)
Expected<std::unique_ptr<Dataset>> open_dataset(std::string_view spec, const DatasetOptions& options = {},
                                                const JobContext& job = {});

// Where Debian's dataset-fashion-mnist put its files, if it is installed.
std::optional<std::filesystem::path> find_fashion_mnist();

}  // namespace corral
