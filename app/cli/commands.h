#pragma once
// The subcommands of corral-cli. Each returns the process exit code and prints errors itself.
#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <optional>
#include <string>

#include "arguments.h"
#include "corral/core/dataset.h"
#include "corral/core/job.h"
#include "corral/core/project.h"

namespace corral::cli {

// Exit codes: 0 success, 1 the work failed, 2 the command line was wrong, 130 cancelled.
int report_failure(const Error& error);

// --json output, indented. Text that is not UTF-8 (file names in another encoding) is written
// with U+FFFD in place of the bad bytes instead of failing the command.
std::string json_output(const nlohmann::json& value);

// open_dataset with at most `limit` images (0: all); images it had to skip and duplicates it
// found (links, identical copies) are listed on stderr.
Expected<std::unique_ptr<Dataset>> open_command_dataset(const std::string& spec, long long limit, const JobContext& job);
// The image-folder spec for --duplicates keep-one (each image once) or keep-all (every file).
Expected<std::string> with_duplicates(const std::string& spec, const std::string& choice);

// What --data, --limit and --encoder default to for a project: its recorded dataset and the
// encoder its session uses (fashion-mnist and pixels for a new project).
struct ProjectDefaults {
    std::string data_spec = "fashion-mnist";
    long long limit = 0;
    std::string encoder_spec = "pixels";
};
Expected<ProjectDefaults> project_defaults(const Project& project);

// The --project folder opened (created when new) with its defaults; no project and the plain
// defaults when `path` is empty.
struct CommandProject {
    std::unique_ptr<Project> project;
    ProjectDefaults defaults;
    bool created = false;  // this command created it
};
Expected<CommandProject> open_command_project(const std::optional<std::string>& path);

// A project this command created is removed again unless the command succeeded (keep()): a
// failed or interrupted `cluster --project NEW` leaves no project without a dataset behind.
// A project that existed before is never removed.
class NewProjectCleanup {
public:
    NewProjectCleanup(std::unique_ptr<Project>& project, bool created) : project_(project), created_(created) {}
    ~NewProjectCleanup();
    NewProjectCleanup(const NewProjectCleanup&) = delete;
    NewProjectCleanup& operator=(const NewProjectCleanup&) = delete;
    void keep() { created_ = false; }

private:
    std::unique_ptr<Project>& project_;
    bool created_;
};

int run_cluster(Arguments& arguments);
int run_export(Arguments& arguments);  // --project P --format csv|json|folder --out PATH
int run_info(Arguments& arguments);    // --project P [--verify]
int run_search(Arguments& arguments);
int run_pretrain(Arguments& arguments);
int run_simulate(Arguments& arguments);
int run_map(Arguments& arguments);
int run_multisub(Arguments& arguments);  // --encoder clip:DIR --aspect A [--words ...] [--prompt ...] --clusters K

}  // namespace corral::cli
