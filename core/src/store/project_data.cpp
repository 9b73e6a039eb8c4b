#include "corral/core/project_data.h"

#include "guard.h"

namespace corral {
namespace {

Status register_unguarded(Project& project, const std::string& spec, long long limit, const Dataset& dataset,
                        const JobContext& job) {
    auto existing = project.dataset();
    if (!existing) return existing.error();
    if (*existing) {
        if ((*existing)->spec != spec || (*existing)->limit != limit) {
            return make_error(ErrorCode::invalid_argument, project.folder().string() + " belongs to dataset '" +
                                                               (*existing)->spec + "' (limit " +
                                                               std::to_string((*existing)->limit) + "), not '" + spec +
                                                               "' (limit " + std::to_string(limit) + ")");
        }
        if ((*existing)->image_count == dataset.size()) return ok();
    }
    auto images = describe_images(dataset, job);
    if (!images) return images.error();
    return project.set_dataset({spec, dataset.description(), limit, dataset.size(), dataset.class_names()}, *images);
}

Expected<CachedFeatures> cached_unguarded(Project& project, ImageEncoder& encoder, const Dataset& dataset,
                                          const JobContext& job) {
    CachedFeatures result;
    auto stored = project.load_embeddings(encoder.id());
    if (stored && stored->rows() == dataset.size()) {
        result.features = std::move(*stored);
        result.reused = true;
        return result;
    }
    if (stored) {
        result.recompute_reason = "stored features have " + std::to_string(stored->rows()) + " rows for " +
                                  std::to_string(dataset.size()) + " images";
    } else if (stored.error().code != ErrorCode::not_found) {
        result.recompute_reason = stored.error().describe();
    }
    auto features = encoder.encode(dataset, job);
    if (!features) return features.error();
    if (auto saved = project.store_embeddings(encoder.id(), *features); !saved) return saved.error();
    result.features = std::move(*features);
    return result;
}

}  // namespace

Status register_dataset(Project& project, const std::string& spec, long long limit, const Dataset& dataset,
                        const JobContext& job) {
    return detail::guarded("registering the dataset", [&] { return register_unguarded(project, spec, limit, dataset, job); });
}

Expected<CachedFeatures> cached_features(Project& project, ImageEncoder& encoder, const Dataset& dataset,
                                         const JobContext& job) {
    return detail::guarded(encoder.id(), [&] { return cached_unguarded(project, encoder, dataset, job); });
}

}  // namespace corral
