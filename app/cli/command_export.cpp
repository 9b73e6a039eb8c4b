// corral-cli export: write a project's clustering as CSV, JSON or a folder tree.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

#include "commands.h"
#include "console_progress.h"
#include "corral/core/project.h"
#include "corral/core/project_export.h"

namespace corral::cli {

int run_export(Arguments& arguments) {
    const auto project_path = arguments.text("project");
    const auto output = arguments.text("out");
    auto format = parse_export_format(arguments.text_or("format", "csv"));
    const auto clustering = arguments.text("clustering");
    const bool copy = arguments.flag("copy");
    const bool as_json = arguments.flag("json");
    if (auto used = arguments.check_all_used(); !used) return report_failure(used.error());
    if (!project_path || !output) {
        return report_failure(make_error(ErrorCode::invalid_argument, "export needs --project PATH and --out PATH"));
    }
    if (!format) return report_failure(format.error());
    auto project = Project::open(*project_path);
    if (!project) return report_failure(project.error());

    ConsoleProgress progress(!as_json);
    // Packed images (IDX, CIFAR) have no files to link: a folder export decodes them.
    std::unique_ptr<Dataset> dataset;
    auto images = (*project)->images();
    if (!images) return report_failure(images.error());
    if (*format == ExportFormat::folder && !images->empty() && images->front().packed) {
        auto record = (*project)->dataset();
        if (!record) return report_failure(record.error());
        DatasetOptions options;
        options.limit = (*record)->limit;
        auto opened = open_dataset((*record)->spec, options, progress.job());
        if (!opened) return report_failure(opened.error());
        dataset = std::move(*opened);
    }
    ExportOptions options{*format, *output, clustering, copy};
    auto report = export_clustering(**project, options, dataset.get(), progress.job());
    if (!report) return report_failure(report.error());
    progress.finish();
    for (const auto& skipped : report->skipped) {
        std::cerr << "skipped " << skipped.file << ": " << skipped.reason << "\n";
    }
    if (as_json) {
        std::cout << nlohmann::json{{"clustering", report->clustering_name}, {"images", report->images_written},
                                    {"answered", report->answered}, {"skipped", report->skipped.size()},
                                    {"output", *output}}.dump(2)
                  << "\n";
    } else {
        std::printf("exported clustering '%s': %lld images (%lld answered, %zu skipped) to %s\n",
                    report->clustering_name.c_str(), static_cast<long long>(report->images_written),
                    static_cast<long long>(report->answered), report->skipped.size(), output->c_str());
    }
    return report->skipped.empty() ? 0 : 1;
}

}  // namespace corral::cli
