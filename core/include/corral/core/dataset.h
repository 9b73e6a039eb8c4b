#pragma once
// Image collections: an image folder, IDX files (Fashion-MNIST/MNIST) or CIFAR binary batches.
// A Dataset is read-only once opened and safe to read from several threads. Files that cannot
// be decoded (and broken links) are reported in skipped() and are not part of the dataset.
// Links to images already in a folder and byte-identical copies are reported in duplicates()
// and, unless the spec says to keep them, left out: each image counts once.
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

// A file of an image folder that repeats another one of the same folder.
struct DuplicateFile {
    enum class Kind {
        link,            // a symbolic link to the same file as `same_as`
        identical_copy,  // another file with the same bytes
    };
    std::filesystem::path path;
    // The one kept: a plain file rather than a link, then the shortest path, then the first.
    std::filesystem::path same_as;
    Kind kind = Kind::link;
};

class Dataset {
public:
    virtual ~Dataset() = default;

    // Human-readable description, e.g. "fashion-mnist (70000 images, 10 classes)".
    virtual std::string description() const = 0;
    virtual std::int64_t size() const = 0;
    // Decodes image `index` at full size, transparency composited onto white; fails with
    // io_error/corrupt_data if the file changed since opening.
    virtual Expected<Image> load_image(std::int64_t index) const = 0;
    // Decodes image `index` as `request` asks (reduced size, transparency kept). Datasets of
    // tiny packed images ignore the request.
    virtual Expected<Image> load_image(std::int64_t index, const ImageRequest& request) const {
        static_cast<void>(request);
        return load_image(index);
    }
    // A stable name for the item: a file path, or "train-images-idx3-ubyte#123" for packed formats.
    virtual std::string item_name(std::int64_t index) const = 0;
    // The file the item lives in (for packed formats, the packed file).
    virtual std::filesystem::path item_file(std::int64_t index) const = 0;

    // Ground truth, when the source has it: one class index per item (-1 = unlabelled).
    const std::vector<int>& labels() const { return labels_; }
    const std::vector<std::string>& class_names() const { return class_names_; }
    bool has_ground_truth() const { return !class_names_.empty(); }
    const std::vector<SkippedFile>& skipped() const { return skipped_; }
    // Links and identical copies found in an image folder: left out of the dataset, or kept
    // when the spec is folder-keep-duplicates:.
    const std::vector<DuplicateFile>& duplicates() const { return duplicates_; }

protected:
    std::vector<int> labels_;
    std::vector<std::string> class_names_;
    std::vector<SkippedFile> skipped_;
    std::vector<DuplicateFile> duplicates_;
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
//   folder:DIR | DIR              an image folder (format detected: IDX or CIFAR files inside are read as such),
//                                 each image once: links to its images and identical copies are left out
//   folder-keep-duplicates:DIR    an image folder with every file, duplicates included
// The spec is what a project records, so reopening a project always finds the same images.
Expected<std::unique_ptr<Dataset>> open_dataset(std::string_view spec, const DatasetOptions& options = {},
                                                const JobContext& job = {});

// Decodes every image of a dataset opened with validate_images = false and leaves out the ones
// that cannot be decoded (reported in skipped()), exactly as opening it with validation would
// have: the same images, labels and description. Other datasets than image folders come back
// as they are. Lets a caller list a folder, look at a sample, then check it.
Expected<std::unique_ptr<Dataset>> check_images(std::unique_ptr<Dataset> dataset, const JobContext& job = {});

// The image folder a spec names ("folder:DIR", "folder-keep-duplicates:DIR", or a plain path
// to a folder that holds no IDX or CIFAR files), if it names one.
struct ImageFolderSpec {
    std::filesystem::path folder;
    bool keep_duplicates = false;
};
std::optional<ImageFolderSpec> parse_image_folder_spec(std::string_view spec);
std::string image_folder_spec(const ImageFolderSpec& folder);

// What opening an image folder will find, without decoding any image: for the new-project
// dialog to say how many duplicates there are before the user chooses to keep them or not.
struct ImageFolderSurvey {
    std::int64_t image_files = 0;          // files with an image name, links included
    std::vector<DuplicateFile> duplicates;
    std::vector<SkippedFile> skipped;      // broken links, links to folders, unreadable entries
    // The classes the folder's ground truth names, as opening it would find them: the labels of
    // its labels.csv, or else its first-level folders when every image lies in one of at least
    // two (empty: no ground truth). What a new project suggests as its number of clusters.
    std::vector<std::string> class_names;
    bool classes_from_labels_csv = false;
    std::int64_t links() const;
    std::int64_t identical_copies() const;
};
Expected<ImageFolderSurvey> survey_image_folder(const std::filesystem::path& folder, const JobContext& job = {});

// Where Debian's dataset-fashion-mnist put its files, if it is installed.
std::optional<std::filesystem::path> find_fashion_mnist();

}  // namespace corral
