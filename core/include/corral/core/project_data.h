#pragma once
// What every front end does with a project's data: record the dataset once, and get an
// encoder's features from the project's cache (computing and storing them when missing or damaged).
#include <string>

#include "corral/core/dataset.h"
#include "corral/core/encoder.h"
#include "corral/core/project.h"

namespace corral {

// Records the dataset and its images the first time; afterwards checks it is the same dataset
// (invalid_argument naming both specs when it is not).
Status register_dataset(Project& project, const std::string& spec, long long limit, const Dataset& dataset,
                        const JobContext& job);

struct CachedFeatures {
    FloatMatrix features;
    bool reused = false;          // loaded from the project rather than computed
    std::string recompute_reason; // why a stored copy was not used ("" when none was stored)
};

// The encoder's features for `dataset`: loaded from the project when stored and intact, else
// computed and stored. A damaged cache is recomputed, never used.
Expected<CachedFeatures> cached_features(Project& project, ImageEncoder& encoder, const Dataset& dataset,
                                         const JobContext& job);

}  // namespace corral
