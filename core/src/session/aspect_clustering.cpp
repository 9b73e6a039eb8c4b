#include "corral/core/aspect_clustering.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

#include "corral/core/project.h"

namespace corral {
namespace {

Error not_a_clip_folder(const std::filesystem::path& folder, const std::string& why) {
    return make_error(ErrorCode::invalid_argument, folder.string() + " is not a CLIP model folder: " + why);
}

// Unique names, so a cluster can be told apart in lists and candidate cards: the second "red"
// becomes "red (2)".
std::vector<std::string> unique_names(std::vector<std::string> names) {
    std::set<std::string> used;
    for (auto& name : names) {
        const std::string base = name;
        for (int n = 2; !used.insert(name).second; ++n) name = base + " (" + std::to_string(n) + ")";
    }
    return names;
}

}  // namespace

Status check_clip_model_folder(const std::filesystem::path& folder) {
    std::error_code error;
    if (folder.empty()) return make_error(ErrorCode::invalid_argument, "no CLIP model folder given");
    if (!std::filesystem::is_directory(folder, error)) {
        return make_error(ErrorCode::not_found, folder.string() + " is not a folder");
    }
    std::ifstream config_file(folder / "config.json");
    if (!config_file) return not_a_clip_folder(folder, "it has no config.json");
    const auto config = nlohmann::json::parse(config_file, nullptr, false);
    if (config.is_discarded() || !config.is_object()) return not_a_clip_folder(folder, "its config.json is not valid JSON");
    if (!config.contains("vision_config") || !config.contains("text_config")) {
        return not_a_clip_folder(folder, "its config.json describes no vision and text towers");
    }
    if (!std::filesystem::is_regular_file(folder / "model.safetensors", error)) {
        return not_a_clip_folder(folder, "it has no model.safetensors");
    }
    const bool vocabulary = std::filesystem::is_regular_file(folder / "vocab.json", error) &&
                            std::filesystem::is_regular_file(folder / "merges.txt", error);
    if (!vocabulary && !std::filesystem::is_regular_file(folder / "bpe_simple_vocab_16e6.txt.gz", error)) {
        return not_a_clip_folder(folder, "it has no tokenizer (vocab.json and merges.txt, or bpe_simple_vocab_16e6.txt.gz)");
    }
    return ok();
}

std::string aspect_cluster_name(const std::vector<std::pair<std::string, double>>& top_words, int words) {
    std::string name;
    for (std::size_t k = 0; k < top_words.size() && static_cast<int>(k) < words; ++k) {
        if (!name.empty()) name += " / ";
        name += top_words[k].first;
    }
    return name;
}

Expected<ClusteringRecord> compute_aspect_clustering(const InteractiveSession& session,
                                                     const AspectClusteringRequest& request, const JobContext& job) {
    if (request.name.empty()) return make_error(ErrorCode::invalid_argument, "the clustering needs a name");
    if (request.params.aspect.empty()) return make_error(ErrorCode::invalid_argument, "the clustering needs an aspect");
    if (auto folder = check_clip_model_folder(request.clip_model_dir); !folder) return folder.error();
    const auto dataset = session.dataset();
    auto result = run_multisub(request.clip_model_dir, *dataset, request.params, job);
    if (!result) return result.error();

    ClusteringRecord record;
    record.name = request.name;
    record.method = kAspectClusteringMethod;
    record.parameters_json = multisub_parameters_json(request.params, *result);
    record.cluster_count = result->clusters;
    record.assignment = std::move(result->assignment);
    std::vector<std::string> names;
    for (const auto& words : result->cluster_top_words) names.push_back(aspect_cluster_name(words));
    names.resize(static_cast<std::size_t>(record.cluster_count));
    record.cluster_names = unique_names(std::move(names));
    return record;
}

Expected<std::int64_t> store_aspect_clustering(InteractiveSession& session, ClusteringRecord record) {
    if (auto existing = session.project().clustering_by_name(record.name)) {
        return make_error(ErrorCode::invalid_argument, "a clustering named '" + record.name + "' already exists");
    } else if (existing.error().code != ErrorCode::not_found) {
        return existing.error();
    }
    return session.add_clustering(std::move(record));
}

std::optional<AspectDescription> describe_aspect_clustering(const ClusteringRecord& record) {
    if (record.method != kAspectClusteringMethod) return std::nullopt;
    const auto json = nlohmann::json::parse(record.parameters_json, nullptr, false);
    if (json.is_discarded() || !json.is_object()) return std::nullopt;
    try {
        AspectDescription description;
        description.aspect = json.value("aspect", "");
        description.words = json.value("words", std::vector<std::string>{});
        description.prompt = json.value("prompt", "");
        description.clusters = json.value("clusters", record.cluster_count);
        if (json.contains("top_words")) {
            for (const auto& cluster : json["top_words"]) {
                auto& words = description.top_words.emplace_back();
                for (const auto& word : cluster) words.emplace_back(word.at("word").get<std::string>(), word.at("weight").get<double>());
            }
        }
        return description;
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

}  // namespace corral
