#include "corral/core/project_export.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <map>
#include <unistd.h>

#include "store/stored_file.h"

namespace corral {
namespace {

namespace fs = std::filesystem;

struct ExportRow {
    const ImageRecord* image;
    int cluster;
    bool answered;
};

struct ExportTable {
    ClusteringRecord clustering;
    std::vector<ImageRecord> images;
    std::vector<ExportRow> rows;
    std::int64_t answered = 0;
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
    }
    return table;
}

std::string cluster_name(const ClusteringRecord& clustering, int cluster) {
    if (cluster < 0 || cluster >= static_cast<int>(clustering.cluster_names.size())) return "";
    return clustering.cluster_names[cluster];
}

// Packed images have no file of their own; they are named by their item name.
std::string image_path(const ImageRecord& image) { return image.packed ? image.name : image.file; }

std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
    std::string quoted = "\"";
    for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

Status write_text_atomically(const fs::path& path, const std::string& text) {
    auto sealed = store::write_file_atomically(path, {std::as_bytes(std::span(text.data(), text.size()))});
    if (!sealed) return sealed.error();
    return ok();
}

std::string csv_text(const ExportTable& table) {
    std::string text = "path,cluster,cluster_name,answered\n";
    for (const auto& row : table.rows) {
        text += csv_field(image_path(*row.image)) + "," + std::to_string(row.cluster) + "," +
                csv_field(cluster_name(table.clustering, row.cluster)) + "," + (row.answered ? "1" : "0") + "\n";
    }
    return text;
}

std::string json_text(const Project& project, const ExportTable& table) {
    std::vector<std::int64_t> sizes(static_cast<std::size_t>(table.clustering.cluster_count), 0);
    nlohmann::json images = nlohmann::json::array();
    for (const auto& row : table.rows) {
        if (row.cluster >= 0) ++sizes[row.cluster];
        images.push_back({{"index", row.image->index}, {"path", image_path(*row.image)}, {"name", row.image->name},
                          {"cluster", row.cluster}, {"cluster_name", cluster_name(table.clustering, row.cluster)},
                          {"answered", row.answered}});
    }
    nlohmann::json clusters = nlohmann::json::array();
    for (int k = 0; k < table.clustering.cluster_count; ++k) {
        clusters.push_back({{"cluster", k}, {"name", cluster_name(table.clustering, k)}, {"size", sizes[k]}});
    }
    nlohmann::json parameters = nlohmann::json::object();
    try {
        parameters = nlohmann::json::parse(table.clustering.parameters_json);
    } catch (const nlohmann::json::exception&) {
    }
    const nlohmann::json document = {
        {"project", project.folder().string()},
        {"clustering", {{"name", table.clustering.name}, {"method", table.clustering.method},
                        {"parameters", parameters}, {"encoder", table.clustering.encoder_id},
                        {"cluster_count", table.clustering.cluster_count}}},
        {"answered", table.answered},
        {"clusters", clusters},
        {"images", images},
    };
    return document.dump(2) + "\n";
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
    std::snprintf(number, sizeof number, "%03d", cluster);
    const std::string name = safe_name(cluster_name(clustering, cluster));
    return std::string(number) + "_" + (name.empty() ? "cluster" : name);
}

// Places one image in `folder`; returns a problem description when it cannot.
std::optional<std::string> place_image(const ImageRecord& image, const fs::path& folder, bool copy,
                                       const Dataset* dataset) {
    std::error_code error;
    // Item names are unique within the dataset; flattening keeps them unique within a folder.
    std::string flat = safe_name(image.name);
    if (image.packed) {
        if (!dataset) return "packed image needs the dataset to be written out";
        auto decoded = dataset->load_image(image.index);
        if (!decoded) return "unreadable: " + decoded.error().message;
        cv::Mat pixels(decoded->height, decoded->width, decoded->channels == 3 ? CV_8UC3 : CV_8UC1,
                       decoded->pixels.data());
        cv::Mat written;
        if (decoded->channels == 3) cv::cvtColor(pixels, written, cv::COLOR_RGB2BGR);
        else written = pixels;
        if (!cv::imwrite((folder / (flat + ".png")).string(), written)) return "cannot write PNG";
        return std::nullopt;
    }
    const auto status = fs::status(image.file, error);
    if (!fs::exists(status)) return "vanished";
    if (!fs::is_regular_file(status)) return "unreadable: not a regular file";
    const fs::path target = folder / flat;
    if (copy) fs::copy_file(image.file, target, fs::copy_options::overwrite_existing, error);
    else fs::create_symlink(image.file, target, error);
    if (error) return (copy ? "copy failed: " : "link failed: ") + error.message();
    return std::nullopt;
}

Expected<ExportReport> export_folder(const ExportTable& table, const ExportOptions& options, const Dataset* dataset,
                                     const JobContext& job) {
    std::error_code error;
    const fs::path output = options.output;
    if (fs::exists(output, error) && !fs::is_empty(output, error)) {
        return make_error(ErrorCode::invalid_argument, output.string() + ": exists and is not empty");
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
    std::map<int, fs::path> folders;
    for (std::size_t i = 0; i < table.rows.size(); ++i) {
        if (i % 512 == 0) {
            if (job.stop_requested()) return fail(cancelled_error());
            job.report(static_cast<double>(i) / table.rows.size(), "exporting images");
        }
        const auto& row = table.rows[i];
        auto [it, fresh] = folders.emplace(row.cluster, building / folder_name(table.clustering, row.cluster));
        if (fresh && !fs::create_directory(it->second, error) && error) {
            return fail(store::error_from_errno(error.value(), it->second, "create folder"));
        }
        if (auto problem = place_image(*row.image, it->second, options.copy_files, dataset)) {
            if (problem->rfind("packed", 0) == 0) return fail(make_error(ErrorCode::invalid_argument, *problem));
            report.skipped.push_back({row.image->index, image_path(*row.image), *problem});
        } else {
            ++report.images_written;
        }
    }
    if (fs::exists(output, error)) fs::remove(output, error);  // the empty folder checked above
    if (::rename(building.c_str(), output.c_str()) != 0) return fail(store::error_from_errno(errno, output, "rename"));
    job.report(1.0, "exporting images");
    return report;
}

}  // namespace

Expected<ExportFormat> parse_export_format(std::string_view text) {
    if (text == "csv") return ExportFormat::csv;
    if (text == "json") return ExportFormat::json;
    if (text == "folder") return ExportFormat::folder;
    return make_error(ErrorCode::invalid_argument, "export format is csv, json or folder, not '" + std::string(text) + "'");
}

Expected<ExportReport> export_clustering(const Project& project, const ExportOptions& options, const Dataset* dataset,
                                         const JobContext& job) {
    if (options.output.empty()) return make_error(ErrorCode::invalid_argument, "export needs an output path");
    auto table = build_table(project, options.clustering_name);
    if (!table) return table.error();
    if (options.format == ExportFormat::folder) return export_folder(*table, options, dataset, job);
    ExportReport report;
    report.clustering_name = table->clustering.name;
    report.answered = table->answered;
    report.images_written = static_cast<std::int64_t>(table->rows.size());
    const std::string text = options.format == ExportFormat::csv ? csv_text(*table) : json_text(project, *table);
    if (auto written = write_text_atomically(options.output, text); !written) return written.error();
    return report;
}

}  // namespace corral
