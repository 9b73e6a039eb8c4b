#pragma once
// What CLI commands share when they work on a project (--project PATH): opening it, recording
// the dataset once, and features cached in the project keyed by the encoder id.
#include <memory>
#include <string>

#include "corral/core/dataset.h"
#include "corral/core/encoder.h"
#include "corral/core/project.h"

namespace corral::cli {

// Records the dataset and its images the first time; afterwards checks it is the same dataset.
Status register_dataset(Project& project, const std::string& spec, long long limit, const Dataset& dataset,
                        const JobContext& job);

// The encoder's features for `dataset`: loaded from the project when stored and intact, else
// computed and stored. `reused` tells which happened. A damaged cache is reported and recomputed.
Expected<FloatMatrix> cached_features(Project& project, ImageEncoder& encoder, const Dataset& dataset,
                                      const JobContext& job, bool& reused);

}  // namespace corral::cli
