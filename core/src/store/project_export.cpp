// Exporting a clustering as CSV, JSON or a folder tree (see project_export.h). Clusters are
// numbered from 1 as the application shows them; the stored index is the number minus one.
#include "corral/core/project_export.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <map>
#include <set>
#include <unistd.h>

#include "guard.h"
#include "store/export_support.h"
#include "store/stored_file.h"

namespace corral {
namespace {

namespace fs = std::filesystem;
using store::csv_field;

struct ExportRow {
    const ImageRecord* image;
    int cluster;  // stored index, -1 unassigned
    bool answered;
};

struct ExportTable {
    ClusteringRecord clustering;
    std::vector<ImageRecord> images;
    std::vector<std::string> class_names;  // the dataset's ground truth classes ("" when none)
    std::vector<ExportRow> rows;
    std::int64_t answered = 0;
    bool has_labels = false;
};

Expected<ClusteringRecord> chosen_clustering(const Project& project, const std::optional<std::string>& name) {
    if (name) return project.clustering_by_name(*name);
    auto current = project.current_clustering_id();
    if (!current) return current.error();
    if (!*current) return make_error(ErrorCode::not_found, "the project has no current clustering; name one");
    return project.clustering(**current);
}

Expected<ExportTable> build_table(const Project& project, const std::optional<std::string>& name) {
    ExportTable table;
    auto clustering = chosen_clustering(project, name);
    if (!clustering) return clustering.error();
    table.clustering = std::move(*clustering);
    auto images = project.images();
    if (!images) return images.error();
    table.images = std::move(*images);
    if (table.images.size() != table.clustering.assignment.size()) {
        return make_error(ErrorCode::invalid_argument,
                          "clustering '" + table.clustering.name + "' covers " +
                              std::to_string(table.clustering.assignment.size()) + " images, the project records " +
                              std::to_string(table.images.size()));
    }
    auto dataset = project.dataset();
    if (!dataset) return dataset.error();
    if (*dataset) table.class_names = (*dataset)->class_names;
    std::vector<int> cluster = table.clustering.assignment;
    std::vector<bool> answered(cluster.size(), false);
    auto answers = project.answers(false);
    if (!answers) return answers.error();
    for (const auto& answer : *answers) {  // oldest first, so the latest answer wins
        if (answer.sample < 0 || answer.sample >= static_cast<std::int64_t>(cluster.size())) continue;
        answered[answer.sample] = true;
        const bool places = answer.kind == AnswerKind::positive || answer.kind == AnswerKind::manual_move;
        if (places && answer.clustering_id == table.clustering.id && answer.chosen_cluster < table.clustering.cluster_count) {
            cluster[answer.sample] = answer.chosen_cluster;
        }
    }
    for (std::size_t i = 0; i < table.images.size(); ++i) {
        table.rows.push_back({&table.images[i], cluster[i], answered[i]});
        table.answered += answered[i] ? 1 : 0;
        table.has_labels = table.has_labels || table.images[i].label >= 0;
    }
    table.has_labels = table.has_labels && !table.class_names.empty();
    return table;
}

// The number the application shows ("Cluster 3" is 3); 0 for no cluster.
int cluster_number(int cluster) { return cluster < 0 ? 0 : cluster + 1; }

// The stored name, or the application's default "Cluster N" for an unnamed cluster.
std::string cluster_name(const ClusteringRecord& clustering, int cluster) {
    if (cluster < 0) return "unassigned";
    if (cluster < static_cast<int>(clustering.cluster_names.size()) && !clustering.cluster_names[cluster].empty()) {
        return clustering.cluster_names[cluster];
    }
    return "Cluster " + std::to_string(cluster_number(cluster));
}

std::string label_name(const ExportTable& table, const ImageRecord& image) {
    if (image.label < 0 || image.label >= static_cast<int>(table.class_names.size())) return "";
    return table.class_names[static_cast<std::size_t>(image.label)];
}

// Packed images have no file of their own; they are named by their item name.
std::string image_path(const ImageRecord& image) { return image.packed ? image.name : image.file; }

std::string csv_text(const ExportTable& table) {
    std::string text = std::string("path,cluster,cluster_name,answered") + (table.has_labels ? ",label\n" : "\n");
    for (const auto& row : table.rows) {
        text += csv_field(image_path(*row.image)) + "," + (row.cluster < 0 ? "" : std::to_string(cluster_number(row.cluster))) +
                "," + csv_field(cluster_name(table.clustering, row.cluster)) + "," + (row.answered ? "1" : "0");
        if (table.has_labels) text += "," + csv_field(label_name(table, *row.image));
        text += "\n";
    }
    return text;
}

std::string json_text(const Project& project, const ExportTable& table) {
    std::vector<std::int64_t> sizes(static_cast<std::size_t>(table.clustering.cluster_count), 0);
    nlohmann::json images = nlohmann::json::array();
    for (const auto& row : table.rows) {
        if (row.cluster >= 0) ++sizes[row.cluster];
        const std::string path = image_path(*row.image);
        nlohmann::json image = {{"index", row.image->index},
                                {"path", path},
                                {"name", row.image->name},
                                {"cluster", row.cluster < 0 ? nlohmann::json(nullptr) : nlohmann::json(cluster_number(row.cluster))},
                                {"cluster_name", cluster_name(table.clustering, row.cluster)},
                                {"answered", row.answered}};
        // JSON strings are UTF-8; a file name in another encoding is shown with U+FFFD and
        // given exactly as hex bytes.
        if (!store::is_valid_utf8(path)) image["path_bytes_hex"] = store::hex_bytes(path);
        if (table.has_labels) image["label"] = label_name(table, *row.image);
        images.push_back(std::move(image));
    }
    nlohmann::json clusters = nlohmann::json::array();
    for (int k = 0; k < table.clustering.cluster_count; ++k) {
        const bool named = k < static_cast<int>(table.clustering.cluster_names.size()) && !table.clustering.cluster_names[k].empty();
        clusters.push_back({{"cluster", cluster_number(k)}, {"name", cluster_name(table.clustering, k)},
                            {"named", named}, {"size", sizes[k]}});
    }
    auto parameters = nlohmann::json::parse(table.clustering.parameters_json, nullptr, false);
    if (parameters.is_discarded()) parameters = nlohmann::json::object();
    const nlohmann::json document = {
        {"project", project.folder().string()},
        {"cluster_numbering", "from 1, as the application shows them (\"Cluster 1\" is 1); null: unassigned"},
        {"clustering", {{"name", table.clustering.name}, {"method", table.clustering.method},
                        {"parameters", parameters}, {"encoder", table.clustering.encoder_id},
                        {"cluster_count", table.clustering.cluster_count}}},
        {"answered", table.answered},
        {"clusters", clusters},
        {"images", images},
    };
    return store::json_text(document, 2) + "\n";
}

std::string safe_name(const std::string& text) {
    std::string name;
    for (char c : text) name += (c == '/' || c == '\\' || c == '\0' || c == ':') ? '_' : c;
    while (!name.empty() && name.front() == '.') name.erase(name.begin());
    return name;
}

std::string folder_name(const ClusteringRecord& clustering, int cluster) {
    if (cluster < 0) return "unassigned";
    char number[16];
    std::snprintf(number, sizeof number, "%03d", cluster_number(cluster));
    return std::string(number) + "_" + safe_name(cluster_name(clustering, cluster));
}

// A file name in a cluster folder for the item: its path flattened ('/' -> '_'), unique within
// the folder (flattening can make "a/b_c.png" and "a_b/c.png" the same: the second gets
// "a_b_c~2.png"), and short enough for the file system.
class FolderNames {
public:
    std::string claim(const std::string& item_name, const std::string& extension_to_add) {
        std::string flat = safe_name(item_name) + extension_to_add;
        if (flat.empty()) flat = "image" + extension_to_add;
        constexpr std::size_t kLongest = 200;  // NAME_MAX is 255 bytes; leave room for "~N"
        if (flat.size() > kLongest) {
            const auto crc = store::crc32_of(std::as_bytes(std::span(flat.data(), flat.size())));
            char prefix[12];
            std::snprintf(prefix, sizeof prefix, "%08x_", crc);
            flat = prefix + flat.substr(flat.size() - (kLongest - 9));
        }
        if (used_.insert(flat).second) return flat;
        const auto dot = flat.rfind('.');
        const std::string stem = dot == std::string::npos || dot == 0 ? flat : flat.substr(0, dot);
        const std::string extension = dot == std::string::npos || dot == 0 ? "" : flat.substr(dot);
        for (int copy = 2;; ++copy) {
            std::string candidate = stem + "~" + std::to_string(copy) + extension;
            if (used_.insert(candidate).second) return candidate;
        }
    }

private:
    std::set<std::string> used_;
};

// Places one image in `folder`; returns a problem description when it cannot.
std::optional<std::string> place_image(const ImageRecord& image, const fs::path& folder, FolderNames& names, bool copy,
                                       const Dataset* dataset) {
    std::error_code error;
    if (image.packed) {
        if (!dataset) return "packed image needs the dataset to be written out";
        auto decoded = dataset->load_image(image.index);
        if (!decoded) return "unreadable: " + decoded.error().message;
        cv::Mat pixels(decoded->height, decoded->width, decoded->channels == 3 ? CV_8UC3 : CV_8UC1,
                       decoded->pixels.data());
        cv::Mat written;
        if (decoded->channels == 3) cv::cvtColor(pixels, written, cv::COLOR_RGB2BGR);
        else written = pixels;
        if (!cv::imwrite((folder / names.claim(image.name, ".png")).string(), written)) return "cannot write PNG";
        return std::nullopt;
    }
    const auto status = fs::status(image.file, error);
    if (!fs::exists(status)) return "vanished";
    if (!fs::is_regular_file(status)) return "unreadable: not a regular file";
    const fs::path target = folder / names.claim(image.name, "");
    if (copy) fs::copy_file(image.file, target, fs::copy_options::none, error);
    else fs::create_symlink(image.file, target, error);
    if (error) return (copy ? "copy failed: " : "link failed: ") + error.message();
    return std::nullopt;
}

Expected<ExportReport> export_folder(const Project& project, const ExportTable& table, const ExportOptions& options,
                                     const Dataset* dataset, const JobContext& job) {
    std::error_code error;
    fs::path output = fs::absolute(options.output, error).lexically_normal();
    if (!output.has_filename()) output = output.parent_path();  // "clusters/" names the folder "clusters"
    const fs::path parent = output.parent_path();
    if (!fs::is_directory(parent, error)) {
        fs::create_directories(parent, error);
        if (error) return store::error_from_errno(error.value(), parent, "create folder");
    }
    // Built beside the target and renamed, so a cancelled or failed export leaves nothing half-made.
    const fs::path building = output.string() + ".partial-" + std::to_string(::getpid());
    fs::remove_all(building, error);
    if (!fs::create_directories(building, error)) return store::error_from_errno(error.value(), building, "create folder");
    ExportReport report;
    report.clustering_name = table.clustering.name;
    report.answered = table.answered;
    auto fail = [&](Error failure) {
        fs::remove_all(building, error);
        return failure;
    };
    const nlohmann::json marker = {{"project", project.folder().string()}, {"clustering", table.clustering.name},
                                   {"links", !options.copy_files}};
    if (auto marked = store::write_text_file(building / store::kExportMarker, store::json_text(marker, 2) + "\n"); !marked) {
        return fail(marked.error());
    }
    struct ClusterFolder {
        fs::path path;
        FolderNames names;
    };
    std::map<int, ClusterFolder> folders;
    for (std::size_t i = 0; i < table.rows.size(); ++i) {
        if (i % 512 == 0) {
            if (job.stop_requested()) return fail(cancelled_error());
            job.report(static_cast<double>(i) / table.rows.size(), "exporting images");
        }
        const auto& row = table.rows[i];
        auto [it, fresh] = folders.try_emplace(row.cluster, ClusterFolder{building / folder_name(table.clustering, row.cluster), {}});
        if (fresh && !fs::create_directory(it->second.path, error) && error) {
            return fail(store::error_from_errno(error.value(), it->second.path, "create folder"));
        }
        // One image that throws (a decoder, a dataset) is reported like an unreadable one, and the
        // half-built tree is still removed on the way out.
        std::optional<std::string> problem;
        auto placed = detail::guarded("", [&]() -> Status {
            problem = place_image(*row.image, it->second.path, it->second.names, options.copy_files, dataset);
            return ok();
        });
        if (!placed) problem = "unreadable: " + placed.error().message;
        if (problem) {
            if (problem->rfind("packed", 0) == 0) return fail(make_error(ErrorCode::invalid_argument, *problem));
            report.skipped.push_back({row.image->index, image_path(*row.image), *problem});
        } else {
            ++report.images_written;
        }
    }
    // check_export_target allowed only a missing or empty folder, or (with overwrite) an earlier
    // export: that one is moved aside, replaced, and removed only once the new one is in place.
    const fs::path previous = output.string() + ".previous-" + std::to_string(::getpid());
    bool moved_aside = false;
    if (fs::exists(fs::symlink_status(output, error))) {
        if (fs::is_empty(output, error)) {
            fs::remove(output, error);
        } else {
            if (::rename(output.c_str(), previous.c_str()) != 0) return fail(store::error_from_errno(errno, output, "rename"));
            moved_aside = true;
        }
    }
    if (::rename(building.c_str(), output.c_str()) != 0) {
        const int error_number = errno;
        if (moved_aside) ::rename(previous.c_str(), output.c_str());
        return fail(store::error_from_errno(error_number, output, "rename"));
    }
    if (moved_aside) fs::remove_all(previous, error);
    job.report(1.0, "exporting images");
    return report;
}

Expected<ExportReport> export_unguarded(const Project& project, const ExportOptions& options, const Dataset* dataset,
                                        const JobContext& job) {
    if (options.format != ExportFormat::csv && options.format != ExportFormat::json && options.format != ExportFormat::folder) {
        return make_error(ErrorCode::invalid_argument, "a clustering is exported as csv, json or folder");
    }
    const bool as_folder = options.format == ExportFormat::folder;
    if (auto allowed = check_export_target(project, options.output, as_folder, options.overwrite); !allowed) {
        return allowed.error();
    }
    auto table = build_table(project, options.clustering_name);
    if (!table) return table.error();
    if (as_folder) return export_folder(project, *table, options, dataset, job);
    ExportReport report;
    report.clustering_name = table->clustering.name;
    report.answered = table->answered;
    report.images_written = static_cast<std::int64_t>(table->rows.size());
    const std::string text = options.format == ExportFormat::csv ? csv_text(*table) : json_text(project, *table);
    if (auto written = store::write_text_file(options.output, text); !written) return written.error();
    return report;
}

}  // namespace

Expected<ExportFormat> parse_export_format(std::string_view text) {
    if (text == "csv") return ExportFormat::csv;
    if (text == "json") return ExportFormat::json;
    if (text == "folder") return ExportFormat::folder;
    if (text == "npy") return ExportFormat::npy;
    return make_error(ErrorCode::invalid_argument,
                      "export format is csv, json, folder or npy, not '" + std::string(text) + "'");
}

Expected<ExportReport> export_clustering(const Project& project, const ExportOptions& options, const Dataset* dataset,
                                         const JobContext& job) {
    return detail::guarded("export to " + options.output.string(),
                           [&] { return export_unguarded(project, options, dataset, job); });
}

}  // namespace corral
