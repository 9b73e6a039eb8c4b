// corral-cli info: summarise a project (dataset, cached embeddings, clusterings, where the
// user stopped, answers, runs) and check its images and database; with --verify also every
// image's contents and every stored file (embeddings, maps, checkpoints) against its checksum.
// The project is only read (also an archived, read-only one).
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

#include "commands.h"
#include "corral/core/project.h"

namespace corral::cli {
namespace {

bool round_complete(const QueryRound& round) {
    return round.position >= static_cast<std::int64_t>(round.samples.size());
}

}  // namespace

int run_info(Arguments& arguments) {
    const auto project_path = arguments.text("project");
    const bool as_json = arguments.flag("json");
    const bool deep = arguments.flag("verify");
    if (auto used = arguments.check_all_used(); !used) return report_failure(used.error());
    if (!project_path) return report_failure(make_error(ErrorCode::invalid_argument, "info needs --project PATH"));
    auto project = Project::open_read_only(*project_path);
    if (!project) return report_failure(project.error());
    Project& p = **project;

    auto dataset = p.dataset();
    auto encoders = p.encoders();
    auto clusterings = p.clusterings();
    auto resume = p.resume_state();
    auto answers = p.answers(true);
    auto runs = p.runs();
    auto problems = p.verify_images(deep);
    auto file_problems = deep ? p.verify_files() : Expected<std::vector<StoredFileProblem>>(std::vector<StoredFileProblem>{});
    for (const Error* error : {dataset ? nullptr : &dataset.error(), encoders ? nullptr : &encoders.error(),
                               clusterings ? nullptr : &clusterings.error(), resume ? nullptr : &resume.error(),
                               answers ? nullptr : &answers.error(), runs ? nullptr : &runs.error(),
                               problems ? nullptr : &problems.error(), file_problems ? nullptr : &file_problems.error()}) {
        if (error) return report_failure(*error);
    }
    nlohmann::json info = {{"project", p.folder().string()}, {"schema_version", p.schema_version()}};
    if (*dataset) {
        info["dataset"] = {{"spec", (*dataset)->spec}, {"description", (*dataset)->description},
                           {"images", (*dataset)->image_count}, {"limit", (*dataset)->limit}};
    }
    info["embeddings"] = nlohmann::json::array();
    for (const auto& encoder : *encoders) {
        info["embeddings"].push_back({{"encoder", encoder.encoder_id}, {"rows", encoder.rows}, {"cols", encoder.cols}});
    }
    info["clusterings"] = nlohmann::json::array();
    for (const auto& clustering : *clusterings) {
        info["clusterings"].push_back({{"id", clustering.id}, {"name", clustering.name}, {"method", clustering.method},
                                       {"clusters", clustering.cluster_count},
                                       {"current", resume->current_clustering_id == clustering.id}});
    }
    std::int64_t undone = 0;
    for (const auto& answer : *answers) undone += answer.undone ? 1 : 0;
    info["answers"] = {{"active", resume->active_answers}, {"undone", undone}};
    if (resume->open_round) {
        info["open_round"] = {{"id", resume->open_round->id}, {"position", resume->open_round->position},
                              {"samples", resume->open_round->samples.size()},
                              {"complete", round_complete(*resume->open_round)}};
    }
    info["runs"] = runs->size();
    info["image_problems"] = problems->size();
    if (deep) {
        info["file_problems"] = nlohmann::json::array();
        for (const auto& problem : *file_problems) {
            info["file_problems"].push_back({{"file", problem.file}, {"kind", problem.kind}, {"reason", problem.reason}});
        }
    }
    const auto integrity = p.check_integrity();
    info["integrity"] = integrity ? "ok" : integrity.error().message;
    if (as_json) {
        std::cout << json_output(info) << "\n";
    } else {
        std::printf("project %s (schema %d)\n", p.folder().c_str(), p.schema_version());
        if (*dataset) {
            std::printf("dataset   %s: %s\n", (*dataset)->spec.c_str(), (*dataset)->description.c_str());
        }
        for (const auto& encoder : *encoders) {
            std::printf("features  %s (%lld x %lld)\n", encoder.encoder_id.c_str(), static_cast<long long>(encoder.rows),
                        static_cast<long long>(encoder.cols));
        }
        for (const auto& clustering : *clusterings) {
            std::printf("%s %s (%s, %d clusters)\n", resume->current_clustering_id == clustering.id ? "current  " : "clustering",
                        clustering.name.c_str(), clustering.method.c_str(), clustering.cluster_count);
        }
        if (resume->open_round) {
            const auto& round = *resume->open_round;
            if (round_complete(round)) {
                std::printf("round     %lld open, every query answered (%zu of %zu)\n", static_cast<long long>(round.id),
                            round.samples.size(), round.samples.size());
            } else {
                std::printf("round     %lld open, next query %lld of %zu\n", static_cast<long long>(round.id),
                            static_cast<long long>(round.position) + 1, round.samples.size());
            }
        }
        std::printf("answers   %lld active, %lld undone; %zu fine-tune runs\n",
                    static_cast<long long>(resume->active_answers), static_cast<long long>(undone), runs->size());
        for (const auto& problem : *problems) std::printf("image     %s: %s\n", problem.file.c_str(), problem.reason.c_str());
        for (const auto& problem : *file_problems) {
            std::printf("%-9s %s: %s\n", problem.kind.c_str(), problem.file.c_str(), problem.reason.c_str());
        }
        std::printf("database  %s\n", integrity ? "ok" : integrity.error().message.c_str());
    }
    return integrity && problems->empty() && file_problems->empty() ? 0 : 1;
}

}  // namespace corral::cli
