// An image folder: every image file below the root, sorted by path, each image once (see
// folder_listing.h). Ground truth comes from a labels.csv (path,label) at the root, or else
// from the first-level subfolder names when every image lies in one.
#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "data/folder_listing.h"
#include "data/image_decoding.h"
#include "data/packed_dataset.h"
#include "guard.h"

namespace corral::detail {
namespace {

namespace fs = std::filesystem;

class FolderDataset final : public Dataset {
public:
    FolderDataset(fs::path root, std::vector<fs::path> files, std::vector<int> labels, std::vector<std::string> names,
                  std::vector<SkippedFile> skipped, std::vector<DuplicateFile> duplicates)
        : root_(std::move(root)), files_(std::move(files)) {
        labels_ = std::move(labels);
        class_names_ = std::move(names);
        skipped_ = std::move(skipped);
        duplicates_ = std::move(duplicates);
    }
    std::string description() const override {
        return root_.filename().string() + " (" + std::to_string(files_.size()) + " images" +
               (has_ground_truth() ? ", " + std::to_string(class_names_.size()) + " classes" : "") + ")";
    }
    std::int64_t size() const override { return static_cast<std::int64_t>(files_.size()); }
    Expected<Image> load_image(std::int64_t index) const override { return load_image(index, ImageRequest{}); }
    Expected<Image> load_image(std::int64_t index, const ImageRequest& request) const override {
        if (index < 0 || index >= size()) return make_error(ErrorCode::invalid_argument, "image index out of range");
        return decode_image_file(files_[static_cast<std::size_t>(index)], request);
    }
    std::string item_name(std::int64_t index) const override {
        return fs::relative(files_[static_cast<std::size_t>(index)], root_).generic_string();
    }
    fs::path item_file(std::int64_t index) const override { return files_[static_cast<std::size_t>(index)]; }

    // The same folder without its files that cannot be decoded (nullptr when all can).
    Expected<std::unique_ptr<Dataset>> readable(const JobContext& job) const;

private:
    fs::path root_;
    std::vector<fs::path> files_;
};

std::string trim(std::string text) {
    const auto not_space = [](unsigned char c) { return !std::isspace(c); };
    text.erase(text.begin(), std::find_if(text.begin(), text.end(), not_space));
    text.erase(std::find_if(text.rbegin(), text.rend(), not_space).base(), text.end());
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = text.substr(1, text.size() - 2);
    return text;
}

// path -> label name, from labels.csv; a first row "path,label" is a header.
Expected<std::map<std::string, std::string>> read_labels_csv(const fs::path& csv) {
    std::ifstream in(csv);
    if (!in) return make_error(ErrorCode::io_error, csv.string() + ": cannot open for reading");
    std::map<std::string, std::string> labels;
    std::string line;
    for (int line_number = 1; std::getline(in, line); ++line_number) {
        if (trim(line).empty()) continue;
        const auto comma = line.rfind(',');
        if (comma == std::string::npos) {
            return make_error(ErrorCode::corrupt_data,
                              csv.string() + ":" + std::to_string(line_number) + ": expected 'path,label'");
        }
        std::string path = trim(line.substr(0, comma));
        std::string label = trim(line.substr(comma + 1));
        if (line_number == 1 && path == "path" && label == "label") continue;
        labels[fs::path(path).lexically_normal().generic_string()] = label;
    }
    return labels;
}

struct Labelling {
    std::vector<int> labels;
    std::vector<std::string> names;
};

int class_index(std::map<std::string, int>& index_of, std::vector<std::string>& names, const std::string& name) {
    auto [it, inserted] = index_of.emplace(name, static_cast<int>(names.size()));
    if (inserted) names.push_back(name);
    return it->second;
}

Expected<Labelling> label_files(const fs::path& root, const std::vector<fs::path>& files) {
    Labelling result;
    std::map<std::string, int> index_of;
    std::error_code error;
    if (fs::exists(root / "labels.csv", error)) {
        auto csv = read_labels_csv(root / "labels.csv");
        if (!csv) return csv.error();
        // Class indices in sorted name order, so they do not depend on file order.
        std::vector<std::string> sorted;
        for (const auto& [path, label] : *csv) sorted.push_back(label);
        std::sort(sorted.begin(), sorted.end());
        sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
        for (const auto& name : sorted) class_index(index_of, result.names, name);
        for (const auto& file : files) {
            auto found = csv->find(fs::relative(file, root).lexically_normal().generic_string());
            result.labels.push_back(found == csv->end() ? -1 : index_of[found->second]);
        }
        return result;
    }
    std::vector<std::string> folders;
    for (const auto& file : files) {
        const fs::path relative = fs::relative(file, root);
        if (std::distance(relative.begin(), relative.end()) < 2) return Labelling{};  // an image at the root: no ground truth
        folders.push_back(relative.begin()->string());
    }
    std::vector<std::string> sorted = folders;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    if (sorted.size() < 2) return Labelling{};  // one subfolder says nothing about classes
    for (const auto& name : sorted) class_index(index_of, result.names, name);
    for (const auto& folder : folders) result.labels.push_back(index_of[folder]);
    return result;
}

// Decodes every file on all cores; returns which ones failed and why. JPEGs are decoded at 1/8
// size, which reads all of their data as a full decode does.
std::vector<std::string> validate(const std::vector<fs::path>& files, const JobContext& job) {
    const ImageRequest smallest{1, false};
    std::vector<std::string> failures(files.size());
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> done{0};
    std::mutex progress_mutex;
    std::size_t reported = 0;  // under progress_mutex
    // About two hundred reports, however many files: a few hundred large ones take a while too.
    const std::size_t report_every = std::clamp<std::size_t>(files.size() / 200, 1, 256);
    auto worker = [&] {
        for (std::size_t i = next++; i < files.size() && !job.stop_requested(); i = next++) {
            auto decoded = decode_image_file(files[i], smallest);
            if (!decoded) {
                // The skipped file carries its path already; the reason need not repeat it.
                const std::string prefix = files[i].string() + ": ";
                const std::string& message = decoded.error().message;
                failures[i] = message.rfind(prefix, 0) == 0 ? message.substr(prefix.size()) : message;
                if (failures[i].empty()) failures[i] = "unreadable";
            }
            const std::size_t finished = ++done;
            if (finished % report_every == 0) {
                // Another worker may have reported a later count since our increment.
                std::lock_guard lock(progress_mutex);
                if (finished > reported) {
                    reported = finished;
                    job.report(static_cast<double>(finished) / files.size(), "checking images");
                }
            }
        }
    };
    const unsigned workers = std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::jthread> threads;
    for (unsigned t = 0; t < workers; ++t) threads.emplace_back(worker);
    threads.clear();
    job.report(1.0, "checking images");
    return failures;
}

// The files that decoded, and the others as skipped files.
void keep_readable(std::vector<fs::path>& files, std::vector<SkippedFile>& skipped, const std::vector<std::string>& failures) {
    std::vector<fs::path> good;
    for (std::size_t i = 0; i < files.size(); ++i) {
        if (failures[i].empty()) good.push_back(files[i]);
        else skipped.push_back({files[i], failures[i]});
    }
    files = std::move(good);
}

Expected<std::unique_ptr<Dataset>> FolderDataset::readable(const JobContext& job) const {
    const auto failures = validate(files_, job);
    if (job.stop_requested()) return cancelled_error();
    if (std::all_of(failures.begin(), failures.end(), [](const std::string& failure) { return failure.empty(); })) {
        return std::unique_ptr<Dataset>();
    }
    std::vector<fs::path> files = files_;
    std::vector<SkippedFile> skipped = skipped_;
    keep_readable(files, skipped, failures);
    if (files.empty()) return make_error(ErrorCode::not_found, root_.string() + ": no readable images");
    auto labelling = label_files(root_, files);
    if (!labelling) return labelling.error();
    return std::unique_ptr<Dataset>(new FolderDataset(root_, std::move(files), std::move(labelling->labels),
                                                      std::move(labelling->names), std::move(skipped), duplicates_));
}

}  // namespace

Expected<std::unique_ptr<Dataset>> check_folder_images(std::unique_ptr<Dataset> dataset, const JobContext& job) {
    const auto* folder = dynamic_cast<const FolderDataset*>(dataset.get());
    if (!folder) return dataset;
    auto readable = folder->readable(job);
    if (!readable) return readable.error();
    if (!*readable) return dataset;
    return std::move(*readable);
}

Expected<std::unique_ptr<Dataset>> open_image_folder(const fs::path& root, bool keep_duplicates,
                                                     const DatasetOptions& options, const JobContext& job) {
    std::error_code error;
    if (!fs::is_directory(root, error)) return make_error(ErrorCode::not_found, root.string() + ": no such folder");
    auto listing = list_image_folder(root, keep_duplicates, job.stage(0.0, options.validate_images ? 0.1 : 1.0));
    if (!listing) return listing.error();
    std::vector<fs::path> files = std::move(listing->files);
    std::vector<SkippedFile> skipped = std::move(listing->skipped);
    if (options.limit > 0 && static_cast<std::int64_t>(files.size()) > options.limit) {
        std::vector<fs::path> kept;
        const double stride = static_cast<double>(files.size()) / options.limit;
        for (std::int64_t k = 0; k < options.limit; ++k) kept.push_back(files[static_cast<std::size_t>(k * stride)]);
        files = std::move(kept);
    }
    if (options.validate_images) {
        auto failures = validate(files, job.stage(0.1, 1.0));
        if (job.stop_requested()) return cancelled_error();
        keep_readable(files, skipped, failures);
    }
    if (files.empty()) return make_error(ErrorCode::not_found, root.string() + ": no readable images");
    auto labelling = label_files(root, files);
    if (!labelling) return labelling.error();
    return std::unique_ptr<Dataset>(new FolderDataset(root, std::move(files), std::move(labelling->labels),
                                                      std::move(labelling->names), std::move(skipped),
                                                      std::move(listing->duplicates)));
}

}  // namespace corral::detail

namespace corral {

std::int64_t ImageFolderSurvey::links() const {
    return std::count_if(duplicates.begin(), duplicates.end(),
                         [](const DuplicateFile& file) { return file.kind == DuplicateFile::Kind::link; });
}

std::int64_t ImageFolderSurvey::identical_copies() const {
    return static_cast<std::int64_t>(duplicates.size()) - links();
}

Expected<ImageFolderSurvey> survey_image_folder(const std::filesystem::path& folder, const JobContext& job) {
    std::error_code error;
    if (!std::filesystem::is_directory(folder, error)) {
        return make_error(ErrorCode::not_found, folder.string() + ": no such folder");
    }
    return detail::guarded(folder.string(), [&]() -> Expected<ImageFolderSurvey> {
        auto listing = detail::list_image_folder(folder, false, job);
        if (!listing) return listing.error();
        ImageFolderSurvey survey{listing->image_files, std::move(listing->duplicates), std::move(listing->skipped), {}, false};
        // A labels.csv the build would refuse is its error to report; the survey only suggests.
        if (auto labelling = detail::label_files(folder, listing->files)) survey.class_names = std::move(labelling->names);
        std::error_code missing;
        survey.classes_from_labels_csv = !survey.class_names.empty() && std::filesystem::exists(folder / "labels.csv", missing);
        return survey;
    });
}

}  // namespace corral
