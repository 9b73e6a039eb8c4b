#pragma once
// Exporting a project's clustering: CSV (path,cluster,cluster_name,answered), JSON, or an
// ImageNet-style folder tree (one folder per cluster, holding links to or copies of the images).
// The user's answers win over the model: an active positive or manual-move answer for the
// clustering puts its image in the chosen cluster. Outputs appear complete or not at all.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "corral/core/dataset.h"
#include "corral/core/expected.h"
#include "corral/core/job.h"
#include "corral/core/project.h"

namespace corral {

enum class ExportFormat { csv, json, folder };

struct ExportOptions {
    ExportFormat format = ExportFormat::csv;
    std::filesystem::path output;               // a file (csv, json) or a new or empty folder (folder)
    std::optional<std::string> clustering_name; // default: the current clustering
    bool copy_files = false;                    // folder: copy instead of symbolic links
};

struct ExportReport {
    std::string clustering_name;
    std::int64_t images_written = 0;
    std::int64_t answered = 0;
    std::vector<ImageProblem> skipped;  // images that could not be placed (vanished, unreadable)
};

// `dataset` is needed only for a folder export of packed images (IDX, CIFAR), which are
// written out as PNG files; pass nullptr otherwise.
Expected<ExportReport> export_clustering(const Project& project, const ExportOptions& options,
                                         const Dataset* dataset = nullptr, const JobContext& job = {});

Expected<ExportFormat> parse_export_format(std::string_view text);  // "csv", "json" or "folder"

}  // namespace corral
