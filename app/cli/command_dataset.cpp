#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>

#include "commands.h"

namespace corral::cli {

std::string json_output(const nlohmann::json& value) {
    return value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

Expected<std::unique_ptr<Dataset>> open_command_dataset(const std::string& spec, long long limit, const JobContext& job) {
    DatasetOptions options;
    options.limit = limit;
    auto dataset = open_dataset(spec, options, job);
    if (!dataset) return dataset;
    // Unreadable images are left out rather than failing the whole run; the user must still
    // learn which ones, and stderr keeps --json output on stdout clean.
    for (const auto& skipped : (*dataset)->skipped()) {
        std::cerr << "skipped " << skipped.path.string() << ": " << skipped.reason << "\n";
    }
    // Duplicates can number thousands (a folder of links): the first few, then how many.
    const auto& duplicates = (*dataset)->duplicates();
    if (!duplicates.empty()) {
        const bool kept = parse_image_folder_spec(spec).value_or(ImageFolderSpec{}).keep_duplicates;
        constexpr std::size_t kListed = 10;
        for (std::size_t i = 0; i < std::min(duplicates.size(), kListed); ++i) {
            std::cerr << "duplicate " << duplicates[i].path.string() << ": "
                      << (duplicates[i].kind == DuplicateFile::Kind::link ? "a link to " : "the same bytes as ")
                      << duplicates[i].same_as.string() << "\n";
        }
        if (duplicates.size() > kListed) std::cerr << "... and " << duplicates.size() - kListed << " more duplicates\n";
        const auto links = std::count_if(duplicates.begin(), duplicates.end(),
                                         [](const DuplicateFile& d) { return d.kind == DuplicateFile::Kind::link; });
        std::cerr << (kept ? "kept " : "left out ") << duplicates.size() << " duplicate images (" << links
                  << " links, " << duplicates.size() - static_cast<std::size_t>(links) << " identical copies)"
                  << (kept ? "" : "; --duplicates keep-all keeps them") << "\n";
    }
    return dataset;
}

Expected<std::string> with_duplicates(const std::string& spec, const std::string& choice) {
    if (choice != "keep-one" && choice != "keep-all") {
        return make_error(ErrorCode::invalid_argument, "--duplicates is keep-one or keep-all, not '" + choice + "'");
    }
    auto folder = parse_image_folder_spec(spec);
    if (!folder) return make_error(ErrorCode::invalid_argument, "--duplicates applies to image folders, not '" + spec + "'");
    folder->keep_duplicates = choice == "keep-all";
    return image_folder_spec(*folder);
}

Expected<ProjectDefaults> project_defaults(const Project& project) {
    ProjectDefaults defaults;
    auto dataset = project.dataset();
    if (!dataset) return dataset.error();
    if (*dataset) {
        defaults.data_spec = (*dataset)->spec;
        defaults.limit = (*dataset)->limit;
    }
    auto settings = project.setting("session.settings");
    if (!settings) return settings.error();
    if (*settings) {
        const auto json = nlohmann::json::parse(**settings, nullptr, false);
        if (json.is_object()) defaults.encoder_spec = json.value("encoder_spec", defaults.encoder_spec);
    }
    return defaults;
}

NewProjectCleanup::~NewProjectCleanup() {
    if (!created_ || !project_) return;
    const std::filesystem::path folder = project_->folder();
    project_.reset();  // closes the database and releases the lock first
    std::error_code ignored;
    std::filesystem::remove_all(folder, ignored);
    std::cerr << "corral-cli: removed the new project " << folder.string() << " again, since the command failed\n";
}

Expected<CommandProject> open_command_project(const std::optional<std::string>& path) {
    CommandProject opened;
    if (!path) return opened;
    std::error_code error;
    opened.created = !std::filesystem::exists(*path, error);
    auto project = Project::open_or_create(*path);
    if (!project) return project.error();
    opened.project = std::move(*project);
    auto defaults = project_defaults(*opened.project);
    if (!defaults) return defaults.error();
    opened.defaults = *defaults;
    return opened;
}

}  // namespace corral::cli
