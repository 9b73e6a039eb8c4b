#pragma once
// Exporting from a project, for people and for analysis tools.
//
// Clusterings: CSV (path,cluster,cluster_name,answered[,label]), JSON, or an ImageNet-style
// folder tree (one folder per cluster, holding links to or copies of the images). Clusters are
// numbered as the application shows them: "Cluster 1" is cluster 1 (the stored index + 1) in
// every format, and an unnamed cluster is named "Cluster N". The user's answers win over the
// model: an active positive or manual-move answer for the clustering puts its image in the
// chosen cluster. With ground truth the CSV and JSON carry each image's label.
//
// Arrays: the embeddings of an encoder, the 2-D map and the value scores of the query rounds,
// as .npy (NumPy format 1.0, little-endian float32 or float64, C order: numpy.load reads them
// as they are) or as CSV.
//
// Every output appears complete or not at all, and none destroys anything: a path inside a
// project folder is always refused, an existing file (or a non-empty folder) unless `overwrite`
// says the user confirmed it; a folder is replaced only when it is an earlier Corral export.
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

enum class ExportFormat { csv, json, folder, npy };

struct ExportOptions {
    ExportFormat format = ExportFormat::csv;     // csv, json or folder
    std::filesystem::path output;               // a file (csv, json) or a folder (created when missing)
    std::optional<std::string> clustering_name; // default: the current clustering
    bool copy_files = false;                    // folder: copy instead of symbolic links
    bool overwrite = false;                     // the user confirmed replacing what is at `output`
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

enum class ArrayContent {
    embeddings,  // [images, dimensions] float32: an encoder's features as stored in the project
    map,         // [images, 2] float32: the 2-D map (t-SNE) as stored in the project
    values,      // [round samples, 4] float64: round id, position in the round, image index, value score
};

struct ArrayExportOptions {
    ArrayContent content = ArrayContent::embeddings;
    ExportFormat format = ExportFormat::npy;  // npy or csv
    std::filesystem::path output;
    // embeddings: which encoder's (default: the current clustering's encoder, else the only one stored)
    std::optional<std::string> encoder_id;
    std::string map_name = "tsne";
    bool overwrite = false;
};

struct ArrayExportReport {
    std::string description;  // "embeddings of pixels-native-pca128-whitened", ...
    std::int64_t rows = 0;
    std::int64_t cols = 0;
};

Expected<ArrayExportReport> export_array(const Project& project, const ArrayExportOptions& options,
                                         const JobContext& job = {});

// What export_clustering and export_array check before writing to `output`: invalid_argument
// (naming the reason) for a path inside `project` or another project folder, for an existing
// file or non-empty folder without `overwrite`, and for a folder that is not a Corral export;
// not_found when the folder a file should go in does not exist.
Status check_export_target(const Project& project, const std::filesystem::path& output, bool as_folder,
                           bool overwrite);
// The same for any output a command writes (a map CSV, say), without a project at hand: every
// project folder found at or above `output` is refused.
Status check_output_target(const std::filesystem::path& output, bool as_folder, bool overwrite);

Expected<ExportFormat> parse_export_format(std::string_view text);  // "csv", "json", "folder" or "npy"
Expected<ArrayContent> parse_array_content(std::string_view text);  // "embeddings", "map" or "values"

}  // namespace corral
