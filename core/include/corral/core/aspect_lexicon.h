#pragma once
// Aspect lexicons for Multi-Sub: per aspect ("color", "shape", ...) a prompt template and the
// reference words a proxy is built from. Bundled as resources/aspects/ASPECT.json:
//   {"aspect": "color", "prompt": "a photo of a {object} with the color of *", "words": [...]}
// Loaders fail with not_found (no folder / no such aspect) or corrupt_data (naming the file).
#include <filesystem>
#include <string>
#include <vector>

#include "corral/core/expected.h"

namespace corral {

struct AspectLexicon {
    std::string aspect;
    std::string prompt;  // "{object}" is replaced by the object word, "*" marks the proxy
    std::vector<std::string> words;
};

// The bundled lexicon folder: $CORRAL_RESOURCE_DIR/aspects, else resources/aspects or
// ../share/corral/aspects next to the running executable, else the source tree's resources/aspects.
Expected<std::filesystem::path> aspect_lexicon_folder();

// Every *.json in `folder`, sorted by aspect name.
Expected<std::vector<AspectLexicon>> load_aspect_lexicons(const std::filesystem::path& folder);
// The lexicon named `aspect` from the bundled folder.
Expected<AspectLexicon> find_aspect_lexicon(const std::string& aspect);
Expected<AspectLexicon> parse_aspect_lexicon(const std::string& json_text, const std::string& where);

}  // namespace corral
