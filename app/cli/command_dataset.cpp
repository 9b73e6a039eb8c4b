#include <nlohmann/json.hpp>

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
    return dataset;
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
