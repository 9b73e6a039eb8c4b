// corral-cli multisub: cluster a dataset by one aspect (colour, shape, ...) with Multi-Sub on a
// CLIP model; print the words that lead each cluster and NMI/RI against every ground truth at
// hand (the dataset's own labels, and --labels NAME=CSV for further aspects). With --project the
// clustering is saved as "multisub-ASPECT".
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "commands.h"
#include "console_progress.h"
#include "corral/core/aspect_lexicon.h"
#include "corral/core/dataset.h"
#include "corral/core/encoder.h"
#include "corral/core/metrics.h"
#include "corral/core/multisub.h"
#include "corral/core/project.h"
#include "corral/core/project_data.h"

namespace corral::cli {
namespace {

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::stringstream stream(text);
    for (std::string part; std::getline(stream, part, separator);) {
        if (!part.empty()) parts.push_back(part);
    }
    return parts;
}

// One ground truth per NAME=CSV (rows "path,label", paths relative to the dataset folder or bare
// file names); items the CSV does not list get -1.
Expected<std::vector<int>> read_labels(const std::string& csv_path, const Dataset& dataset, const std::filesystem::path& root) {
    std::ifstream in(csv_path);
    if (!in) return make_error(ErrorCode::io_error, csv_path + ": cannot open for reading");
    std::map<std::string, std::string> label_of;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const auto comma = line.rfind(',');
        if (comma == std::string::npos) continue;
        const std::string path = line.substr(0, comma);
        if (path == "path") continue;
        label_of[std::filesystem::path(path).lexically_normal().generic_string()] = line.substr(comma + 1);
    }
    std::map<std::string, int> index_of;
    std::vector<int> labels;
    for (std::int64_t i = 0; i < dataset.size(); ++i) {
        const auto file = dataset.item_file(i);
        auto found = label_of.find(file.lexically_relative(root).lexically_normal().generic_string());
        if (found == label_of.end()) found = label_of.find(file.filename().string());
        labels.push_back(found == label_of.end() ? -1 : index_of.emplace(found->second, static_cast<int>(index_of.size())).first->second);
    }
    if (index_of.empty()) return make_error(ErrorCode::invalid_argument, csv_path + ": names none of the dataset's images");
    return labels;
}

}  // namespace

int run_multisub(Arguments& arguments) {
    const auto data_argument = arguments.text("data");
    const auto encoder_argument = arguments.text("encoder");
    const std::string aspect = arguments.text_or("aspect", "");
    const auto words_text = arguments.text("words");
    const auto prompt = arguments.text("prompt");
    const std::string object_word = arguments.text_or("object", "object");
    const std::string labels_text = arguments.text_or("labels", "");
    const auto project_path = arguments.text("project");
    const auto clustering_name = arguments.text("name");
    auto clusters = arguments.integer_in("clusters", 10, 2, 10000);
    auto limit = arguments.integer_in("limit", -1, 0);  // -1: not given
    auto seed = arguments.integer_in("seed", 0, 0);
    auto alternations = arguments.integer_in("alternations", MultiSubParams{}.alternations, 1, 1000);
    auto phase_one = arguments.integer_in("phase-one-epochs", MultiSubParams{}.phase_one_epochs, 0, 100000);
    auto phase_two = arguments.integer_in("phase-two-epochs", MultiSubParams{}.phase_two_epochs, 0, 100000);
    auto latent_learning_rate = arguments.number_in("latent-lr", MultiSubParams{}.latent_learning_rate, 0.0, 1000.0, true);
    const bool as_json = arguments.flag("json");
    for (const auto* parsed : {&clusters, &limit, &seed, &alternations, &phase_one, &phase_two}) {
        if (!*parsed) return report_failure(parsed->error());
    }
    if (!latent_learning_rate) return report_failure(latent_learning_rate.error());
    // With --project, what the command line leaves open comes from the project.
    auto opened = open_command_project(project_path);
    if (!opened) return report_failure(opened.error());
    std::unique_ptr<Project> project = std::move(opened->project);
    NewProjectCleanup cleanup(project, opened->created);
    const ProjectDefaults defaults = opened->defaults;
    const std::string data_spec = data_argument.value_or(defaults.data_spec);
    const std::string encoder_spec = encoder_argument.value_or(defaults.encoder_spec);
    const long long image_limit = *limit >= 0 ? *limit : (data_argument ? 0 : defaults.limit);
    if (encoder_spec.rfind("clip:", 0) != 0) {
        return report_failure(make_error(ErrorCode::invalid_argument,
                                         "multisub needs a CLIP model: --encoder clip:MODEL_DIR (the encoder in use is " +
                                             encoder_spec + ")"));
    }
    if (aspect.empty()) return report_failure(make_error(ErrorCode::invalid_argument, "--aspect NAME is required (e.g. color)"));
    if (auto used = arguments.check_all_used(); !used) return report_failure(used.error());

    MultiSubParams params;
    params.aspect = aspect;
    params.object_word = object_word;
    params.clusters = static_cast<int>(*clusters);
    params.seed = static_cast<std::uint64_t>(*seed);
    params.alternations = static_cast<int>(*alternations);
    params.phase_one_epochs = static_cast<int>(*phase_one);
    params.phase_two_epochs = static_cast<int>(*phase_two);
    params.latent_learning_rate = *latent_learning_rate;
    if (words_text) params.words = split(*words_text, ',');
    if (prompt) params.prompt_template = *prompt;
    if (params.words.empty() || params.prompt_template.empty()) {
        // Whatever the user did not give comes from the bundled lexicon of that aspect.
        auto lexicon = find_aspect_lexicon(aspect);
        if (!lexicon) return report_failure(lexicon.error());
        if (params.words.empty()) params.words = lexicon->words;
        if (params.prompt_template.empty()) params.prompt_template = lexicon->prompt;
    }

    ConsoleProgress progress(!as_json);
    auto dataset = open_command_dataset(data_spec, image_limit, progress.job());
    if (!dataset) return report_failure(dataset.error());
    std::map<std::string, std::vector<int>> truths;
    if ((*dataset)->has_ground_truth()) truths["labels"] = (*dataset)->labels();
    const std::filesystem::path root = data_spec.rfind("folder:", 0) == 0 ? data_spec.substr(7) : data_spec;
    for (const auto& entry : split(labels_text, ',')) {
        const auto equals = entry.find('=');
        const std::string name = equals == std::string::npos ? std::filesystem::path(entry).stem().string() : entry.substr(0, equals);
        auto labels = read_labels(equals == std::string::npos ? entry : entry.substr(equals + 1), **dataset, root);
        if (!labels) return report_failure(labels.error());
        truths[name] = std::move(*labels);
    }

    auto result = corral::run_multisub(encoder_spec.substr(5), **dataset, params, progress.job());
    if (!result) return report_failure(result.error());
    progress.finish();

    std::string saved_as;
    if (project) {
        if (auto registered = register_dataset(*project, data_spec, image_limit, **dataset, {}); !registered) {
            return report_failure(registered.error());
        }
        auto encoder = create_image_encoder(encoder_spec);
        if (!encoder) return report_failure(encoder.error());
        saved_as = clustering_name.value_or("multisub-" + aspect);
        std::vector<std::string> names;
        for (const auto& words : result->cluster_top_words) names.push_back(words.empty() ? "" : words.front().first);
        auto saved = project->save_clustering({0, saved_as, "multisub", multisub_parameters_json(params, *result),
                                                  (*encoder)->id(), params.clusters, result->assignment, names, ""});
        if (!saved) return report_failure(saved.error());
        if (auto current = project->set_current_clustering(*saved); !current) return report_failure(current.error());
        cleanup.keep();
    }

    nlohmann::json output = {{"dataset", (*dataset)->description()},
                             {"images", (*dataset)->size()},
                             {"aspect", aspect},
                             {"prompt", params.prompt_template},
                             {"words", params.words},
                             {"clusters", params.clusters},
                             {"timing_ms", result->elapsed_ms}};
    nlohmann::json top = nlohmann::json::array();
    for (const auto& words : result->cluster_top_words) {
        nlohmann::json cluster = nlohmann::json::array();
        for (std::size_t k = 0; k < words.size() && k < 3; ++k) cluster.push_back({{"word", words[k].first}, {"weight", words[k].second}});
        top.push_back(cluster);
    }
    output["cluster_top_words"] = top;
    for (const auto& [name, truth] : truths) {
        const auto scores = score_clustering(truth, result->assignment);
        output["metrics"][name] = {{"nmi", scores.nmi}, {"ri", scores.ri}, {"acc", scores.acc}, {"ari", scores.ari}};
    }
    if (project_path) output["project"] = {{"path", *project_path}, {"clustering", saved_as}};
    if (as_json) {
        std::cout << json_output(output) << "\n";
        return 0;
    }
    std::printf("%s: Multi-Sub by %s into %d clusters (%.1f s)\n", (*dataset)->description().c_str(), aspect.c_str(),
                params.clusters, result->elapsed_ms / 1000);
    for (std::size_t c = 0; c < result->cluster_top_words.size(); ++c) {
        std::printf("  cluster %zu:", c);
        const auto& words = result->cluster_top_words[c];
        for (std::size_t k = 0; k < words.size() && k < 3; ++k) std::printf(" %s (%.2f)", words[k].first.c_str(), words[k].second);
        std::printf("\n");
    }
    for (const auto& [name, truth] : truths) {
        const auto& m = output["metrics"][name];
        std::printf("%s: NMI %.4f  RI %.4f\n", name.c_str(), m["nmi"].get<double>(), m["ri"].get<double>());
    }
    if (project_path) std::printf("saved as clustering '%s' in %s\n", saved_as.c_str(), project_path->c_str());
    return 0;
}

}  // namespace corral::cli
