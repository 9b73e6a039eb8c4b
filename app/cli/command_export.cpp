// corral-cli export: write a project's clustering as CSV, JSON or a folder tree, or its
// embeddings, map or value scores as .npy or CSV. The project is only read, so this works on an
// archived (read-only) project and beside a Corral that has it open.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

#include "commands.h"
#include "console_progress.h"
#include "corral/core/project.h"
#include "corral/core/project_export.h"

namespace corral::cli {
namespace {

// Packed images (IDX, CIFAR) have no files to link: a folder export decodes them.
Expected<std::unique_ptr<Dataset>> dataset_for_folder(const Project& project, const JobContext& job) {
    auto images = project.images();
    if (!images) return images.error();
    if (images->empty() || !images->front().packed) return std::unique_ptr<Dataset>();
    auto record = project.dataset();
    if (!record) return record.error();
    if (!*record) return make_error(ErrorCode::not_found, project.folder().string() + ": the project has no dataset");
    DatasetOptions options;
    options.limit = (*record)->limit;
    return open_dataset((*record)->spec, options, job);
}

int export_clusters(Arguments& arguments, const Project& project, ExportFormat format, const std::string& output,
                    bool force, bool as_json) {
    const auto clustering = arguments.text("clustering");
    const bool copy = arguments.flag("copy");
    const bool links = arguments.flag("links");
    if (auto used = arguments.check_all_used(); !used) return report_failure(used.error());
    if (copy && links) return report_failure(make_error(ErrorCode::invalid_argument, "--copy and --links exclude each other"));
    if (format == ExportFormat::npy) {
        return report_failure(make_error(ErrorCode::invalid_argument, "a clustering is exported as csv, json or folder"));
    }
    ConsoleProgress progress(!as_json);
    std::unique_ptr<Dataset> dataset;
    if (format == ExportFormat::folder) {
        auto opened = dataset_for_folder(project, progress.job());
        if (!opened) return report_failure(opened.error());
        dataset = std::move(*opened);
    }
    ExportOptions options;
    options.format = format;
    options.output = output;
    options.clustering_name = clustering;
    options.copy_files = copy;
    options.overwrite = force;
    auto report = export_clustering(project, options, dataset.get(), progress.job());
    if (!report) return report_failure(report.error());
    progress.finish();
    for (const auto& skipped : report->skipped) {
        std::cerr << "skipped " << skipped.file << ": " << skipped.reason << "\n";
    }
    if (as_json) {
        std::cout << json_output({{"clustering", report->clustering_name}, {"images", report->images_written},
                                  {"answered", report->answered}, {"skipped", report->skipped.size()},
                                  {"output", output}})
                  << "\n";
    } else {
        std::printf("exported clustering '%s': %lld images (%lld answered, %zu skipped) to %s\n",
                    report->clustering_name.c_str(), static_cast<long long>(report->images_written),
                    static_cast<long long>(report->answered), report->skipped.size(), output.c_str());
    }
    return report->skipped.empty() ? 0 : 1;
}

int export_arrays(Arguments& arguments, const Project& project, ArrayContent content, ExportFormat format,
                  const std::string& output, bool force, bool as_json) {
    ArrayExportOptions options;
    options.content = content;
    options.format = format;
    options.output = output;
    options.encoder_id = arguments.text("encoder");
    options.overwrite = force;
    if (auto used = arguments.check_all_used(); !used) return report_failure(used.error());
    auto report = export_array(project, options);
    if (!report) return report_failure(report.error());
    if (as_json) {
        std::cout << json_output({{"what", report->description}, {"rows", report->rows}, {"cols", report->cols},
                                  {"output", output}})
                  << "\n";
    } else {
        std::printf("exported %s: %lld x %lld to %s\n", report->description.c_str(), static_cast<long long>(report->rows),
                    static_cast<long long>(report->cols), output.c_str());
    }
    return 0;
}

}  // namespace

int run_export(Arguments& arguments) {
    const auto project_path = arguments.text("project");
    const auto output = arguments.text("out");
    const std::string what = arguments.text_or("what", "clusters");
    const auto format_text = arguments.text("format");
    const bool force = arguments.flag("force");
    const bool as_json = arguments.flag("json");
    if (!project_path || !output) {
        return report_failure(make_error(ErrorCode::invalid_argument, "export needs --project PATH and --out PATH"));
    }
    std::optional<ArrayContent> content;
    if (what != "clusters") {
        auto parsed = parse_array_content(what);
        if (!parsed) return report_failure(parsed.error());
        content = *parsed;
    }
    auto format = parse_export_format(format_text.value_or(content ? "npy" : "csv"));
    if (!format) return report_failure(format.error());
    auto project = Project::open_read_only(*project_path);
    if (!project) return report_failure(project.error());
    if (content) return export_arrays(arguments, **project, *content, *format, *output, force, as_json);
    return export_clusters(arguments, **project, *format, *output, force, as_json);
}

}  // namespace corral::cli
