// Image records: what the project remembers of each image so that a vanished or changed file
// is noticed on reopening instead of silently training on something else.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "corral/core/project.h"
#include "data/packed_dataset.h"
#include "data/subset_dataset.h"
#include "store/stored_file.h"

namespace corral {
namespace {

namespace fs = std::filesystem;

std::string hash_text(std::uint32_t crc) {
    char text[16];
    std::snprintf(text, sizeof text, "crc32:%08x", crc);
    return text;
}

// The file's bytes, or an error naming why it cannot be read.
Expected<std::string> read_image_file(const fs::path& path) {
    std::error_code error;
    const auto status = fs::status(path, error);
    if (!fs::exists(status)) return make_error(ErrorCode::not_found, path.string() + ": vanished");
    if (!fs::is_regular_file(status)) return make_error(ErrorCode::io_error, path.string() + ": not a regular file");
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(ErrorCode::io_error, path.string() + ": cannot be read (" + std::strerror(errno) + ")");
    std::ostringstream content;
    content << in.rdbuf();
    if (in.bad()) return make_error(ErrorCode::io_error, path.string() + ": read failed");
    return content.str();
}

std::uint32_t crc_of_text(const std::string& bytes) { return store::crc32_of(std::as_bytes(std::span(bytes))); }

}  // namespace

Expected<std::vector<ImageRecord>> describe_images(const Dataset& dataset, const JobContext& job) {
    const Dataset* source = &dataset;
    if (const auto* subset = dynamic_cast<const detail::SubsetDataset*>(source)) source = &subset->base();
    const bool packed = dynamic_cast<const detail::PackedDataset*>(source) != nullptr;
    std::vector<ImageRecord> records;
    records.reserve(static_cast<std::size_t>(dataset.size()));
    // About two hundred reports, however many images: reading large files takes a while.
    const std::int64_t report_every = std::max<std::int64_t>(1, std::min<std::int64_t>(1024, dataset.size() / 200));
    for (std::int64_t i = 0; i < dataset.size(); ++i) {
        if (i % report_every == 0) {
            if (job.stop_requested()) return cancelled_error();
            job.report(static_cast<double>(i) / dataset.size(), "recording images");
        }
        ImageRecord record;
        record.index = i;
        record.name = dataset.item_name(i);
        std::error_code error;
        const fs::path file = dataset.item_file(i);
        const fs::path absolute = fs::absolute(file, error);
        record.file = (error ? file : absolute).lexically_normal().string();
        record.packed = packed;
        record.label = i < static_cast<std::int64_t>(dataset.labels().size()) ? dataset.labels()[i] : -1;
        if (packed) {
            auto image = dataset.load_image(i);
            if (!image) return image.error();
            record.size_bytes = static_cast<std::int64_t>(image->pixels.size());
            record.content_hash = hash_text(store::crc32_of(std::as_bytes(std::span(image->pixels))));
        } else {
            auto bytes = read_image_file(file);
            if (!bytes) {
                return make_error(bytes.error().code,
                                  bytes.error().message + " (the file changed after the dataset was opened)");
            }
            record.size_bytes = static_cast<std::int64_t>(bytes->size());
            record.content_hash = hash_text(crc_of_text(*bytes));
        }
        records.push_back(std::move(record));
    }
    job.report(1.0, "recording images");
    return records;
}

Expected<std::vector<ImageProblem>> Project::verify_images(bool read_contents, const JobContext& job) const {
    auto records = images();
    if (!records) return records.error();
    std::vector<ImageProblem> problems;
    std::map<std::string, bool> packed_file_present;
    for (std::size_t i = 0; i < records->size(); ++i) {
        const ImageRecord& image = (*records)[i];
        if (i % 1024 == 0) {
            if (job.stop_requested()) return cancelled_error();
            job.report(static_cast<double>(i) / records->size(), "checking images");
        }
        std::error_code error;
        if (image.packed) {
            auto [it, fresh] = packed_file_present.emplace(image.file, false);
            if (fresh) it->second = fs::is_regular_file(image.file, error);
            if (!it->second) problems.push_back({image.index, image.file, "vanished"});
            continue;
        }
        const auto status = fs::status(image.file, error);
        if (!fs::exists(status)) {
            problems.push_back({image.index, image.file, "vanished"});
        } else if (!fs::is_regular_file(status)) {
            problems.push_back({image.index, image.file, "unreadable: not a regular file"});
        } else if (const auto size = static_cast<std::int64_t>(fs::file_size(image.file, error));
                   error || size != image.size_bytes) {
            problems.push_back({image.index, image.file,
                                "changed: " + std::to_string(size) + " bytes, registered " +
                                    std::to_string(image.size_bytes)});
        } else if (read_contents) {
            auto bytes = read_image_file(image.file);
            if (!bytes) {
                problems.push_back({image.index, image.file, "unreadable: " + bytes.error().message});
            } else if (hash_text(crc_of_text(*bytes)) != image.content_hash) {
                problems.push_back({image.index, image.file, "changed: contents differ from when it was registered"});
            }
        }
    }
    job.report(1.0, "checking images");
    return problems;
}

}  // namespace corral
