#pragma once
// Private to core: the stages of building or reopening a project (checking the images,
// recording them, encoding, clustering, preparing the clustering) and their expected times on
// this machine, so that each stage's share of the job's progress is the share of the time it
// takes. The times are measured by running each stage's own code on two samples of the listed
// images and extrapolating to all of them: a fixed part (loading a model, a minimum number of
// steps) plus a part per image.
#include "corral/core/dataset.h"
#include "corral/core/encoder.h"
#include "corral/core/interactive_session.h"

namespace corral::session_detail {

struct BuildStages {
    bool check = false;     // decode every image once (image folders)
    bool record = false;    // hash every file into the project
    bool cluster = false;   // encode every image and cluster them (no clustering yet)
    bool fit_head = false;  // fit the clustering head (head fine-tuning)
    // Without `cluster`: the width of the stored features the head is fitted to.
    std::int64_t feature_columns = 0;
};

struct BuildStageSeconds {
    double checking = 0.0;
    double recording = 0.0;
    double encoding = 0.0;
    double clustering = 0.0;
    double preparing = 0.0;
    double total() const { return checking + recording + encoding + clustering + preparing; }
};

// Expected seconds of each stage that will run, for every image of `listed` (a dataset as
// listed, before its images are checked). `encoder` is the one the build encodes with (needed
// when stages.cluster). Too few images to sample give equal shares.
Expected<BuildStageSeconds> measure_build_stages(const Dataset& listed, const SessionSettings& settings,
                                                 const BuildStages& stages, ImageEncoder* encoder, const JobContext& job);

// The stages' progress contexts: the range [begin, 1] of `job` split in proportion to `seconds`.
struct BuildProgress {
    JobContext checking, recording, encoding, clustering, preparing;
};
BuildProgress plan_build_progress(const JobContext& job, double begin, const BuildStageSeconds& seconds);

}  // namespace corral::session_detail
