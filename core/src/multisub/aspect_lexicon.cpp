#include "corral/core/aspect_lexicon.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#ifndef CORRAL_SOURCE_RESOURCE_DIR
#define CORRAL_SOURCE_RESOURCE_DIR ""
#endif

namespace corral {

Expected<std::filesystem::path> aspect_lexicon_folder() {
    std::vector<std::filesystem::path> candidates;
    if (const char* override_dir = std::getenv("CORRAL_RESOURCE_DIR"); override_dir && *override_dir) {
        candidates.push_back(std::filesystem::path(override_dir) / "aspects");
    }
    std::error_code error;
    const auto executable = std::filesystem::read_symlink("/proc/self/exe", error);
    if (!error) {
        candidates.push_back(executable.parent_path() / "resources" / "aspects");
        candidates.push_back(executable.parent_path().parent_path() / "share" / "corral" / "aspects");
    }
    // Last: the source tree this build came from, so build-tree executables and tests find them.
    if (*CORRAL_SOURCE_RESOURCE_DIR) candidates.push_back(std::filesystem::path(CORRAL_SOURCE_RESOURCE_DIR) / "aspects");
    for (const auto& candidate : candidates) {
        if (std::filesystem::is_directory(candidate, error)) return candidate;
    }
    std::string searched;
    for (const auto& candidate : candidates) searched += (searched.empty() ? "" : ", ") + candidate.string();
    return make_error(ErrorCode::not_found, "no aspect lexicon folder (looked in " + searched + ")");
}

Expected<AspectLexicon> parse_aspect_lexicon(const std::string& json_text, const std::string& where) {
    const auto json = nlohmann::json::parse(json_text, nullptr, false);
    if (json.is_discarded() || !json.is_object()) return make_error(ErrorCode::corrupt_data, where + ": not a JSON object");
    AspectLexicon lexicon;
    const auto aspect = json.find("aspect");
    const auto prompt = json.find("prompt");
    const auto words = json.find("words");
    if (aspect == json.end() || !aspect->is_string() || aspect->get<std::string>().empty()) {
        return make_error(ErrorCode::corrupt_data, where + ": \"aspect\" must be a non-empty string");
    }
    if (prompt == json.end() || !prompt->is_string() ||
        std::count(prompt->get_ref<const std::string&>().begin(), prompt->get_ref<const std::string&>().end(), '*') != 1) {
        return make_error(ErrorCode::corrupt_data, where + ": \"prompt\" must be a string with one '*'");
    }
    if (words == json.end() || !words->is_array() || words->size() < 2) {
        return make_error(ErrorCode::corrupt_data, where + ": \"words\" must be a list of at least two words");
    }
    lexicon.aspect = aspect->get<std::string>();
    lexicon.prompt = prompt->get<std::string>();
    for (const auto& word : *words) {
        if (!word.is_string() || word.get<std::string>().empty()) {
            return make_error(ErrorCode::corrupt_data, where + ": every word must be a non-empty string");
        }
        lexicon.words.push_back(word.get<std::string>());
    }
    return lexicon;
}

Expected<std::vector<AspectLexicon>> load_aspect_lexicons(const std::filesystem::path& folder) {
    std::error_code error;
    if (!std::filesystem::is_directory(folder, error)) {
        return make_error(ErrorCode::not_found, folder.string() + ": not a folder of aspect lexicons");
    }
    std::vector<AspectLexicon> lexicons;
    for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
        if (entry.path().extension() != ".json") continue;
        std::ifstream file(entry.path());
        if (!file) return make_error(ErrorCode::io_error, entry.path().string() + ": cannot read");
        std::ostringstream text;
        text << file.rdbuf();
        auto lexicon = parse_aspect_lexicon(text.str(), entry.path().string());
        if (!lexicon) return lexicon.error();
        lexicons.push_back(std::move(*lexicon));
    }
    if (error) return make_error(ErrorCode::io_error, folder.string() + ": " + error.message());
    std::sort(lexicons.begin(), lexicons.end(), [](const auto& a, const auto& b) { return a.aspect < b.aspect; });
    return lexicons;
}

Expected<AspectLexicon> find_aspect_lexicon(const std::string& aspect) {
    auto folder = aspect_lexicon_folder();
    if (!folder) return folder.error();
    auto lexicons = load_aspect_lexicons(*folder);
    if (!lexicons) return lexicons.error();
    std::string known;
    for (auto& lexicon : *lexicons) {
        if (lexicon.aspect == aspect) return std::move(lexicon);
        known += (known.empty() ? "" : ", ") + lexicon.aspect;
    }
    return make_error(ErrorCode::not_found, "no aspect lexicon '" + aspect + "' in " + folder->string() + " (have: " + known + ")");
}

}  // namespace corral
