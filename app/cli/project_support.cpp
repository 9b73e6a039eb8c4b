#include "project_support.h"

#include <iostream>

namespace corral::cli {

Status register_dataset(Project& project, const std::string& spec, long long limit, const Dataset& dataset,
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

Expected<FloatMatrix> cached_features(Project& project, ImageEncoder& encoder, const Dataset& dataset,
                                      const JobContext& job, bool& reused) {
    reused = false;
    auto stored = project.load_embeddings(encoder.id());
    if (stored && stored->rows() == dataset.size()) {
        reused = true;
        return stored;
    }
    if (!stored && stored.error().code != ErrorCode::not_found) {
        std::cerr << "corral-cli: " << stored.error().describe() << "; recomputing\n";
    }
    auto features = encoder.encode(dataset, job);
    if (!features) return features.error();
    if (auto saved = project.store_embeddings(encoder.id(), *features); !saved) return saved.error();
    return features;
}

}  // namespace corral::cli
