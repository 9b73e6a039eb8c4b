#pragma once
// Aspect clusterings of an open project: Multi-Sub (multisub.h) run on the session's images and
// kept as a named clustering (method "multisub") whose parameters record the aspect, words,
// prompt, K and each cluster's top words; cluster names default to the top words ("red / pink").
// compute_* is pure work for a worker thread; store_* is cheap and runs on the session's thread.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "corral/core/expected.h"
#include "corral/core/interactive_session.h"
#include "corral/core/job.h"
#include "corral/core/multisub.h"
#include "corral/core/project_types.h"

namespace corral {

inline constexpr char kAspectClusteringMethod[] = "multisub";

struct AspectClusteringRequest {
    std::string name;            // the clustering's name in the project (unique there)
    std::string clip_model_dir;  // a CLIP model folder (check_clip_model_folder)
    MultiSubParams params;       // params.aspect, words, prompt_template and clusters (K)
};

// What a stored aspect clustering records about itself.
struct AspectDescription {
    std::string aspect;
    std::vector<std::string> words;
    std::string prompt;
    int clusters = 0;
    std::vector<std::vector<std::pair<std::string, double>>> top_words;  // per cluster, heaviest first
};

// File checks only (no loading): ok, or invalid_argument / not_found with a message saying what
// the folder lacks to be a CLIP model (config.json with both towers, model.safetensors, tokenizer).
Status check_clip_model_folder(const std::filesystem::path& folder);

// Runs Multi-Sub on `session`'s dataset and returns the clustering to store (id 0, not stored).
// Callable from a worker thread while the session is otherwise idle. Fails with the request's
// problem (invalid_argument: empty name, a name in use, fewer than 2 words, bad K), the model
// folder's, or cancelled.
Expected<ClusteringRecord> compute_aspect_clustering(const InteractiveSession& session,
                                                     const AspectClusteringRequest& request, const JobContext& job = {});

// Stores `record` (from compute_aspect_clustering) in the session's project; returns its id.
// invalid_argument when its name has been taken meanwhile (a save would replace that clustering).
Expected<std::int64_t> store_aspect_clustering(InteractiveSession& session, ClusteringRecord record);

// The aspect, words, prompt, K and top words of a "multisub" clustering; nullopt for other
// methods or parameters that do not parse.
std::optional<AspectDescription> describe_aspect_clustering(const ClusteringRecord& record);

// A cluster's default name: its `words` heaviest words joined by " / ".
std::string aspect_cluster_name(const std::vector<std::pair<std::string, double>>& top_words, int words = 2);

}  // namespace corral
