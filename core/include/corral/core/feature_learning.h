#pragma once
// "Learn features from these images": the embedded convnet (convnet.h) trained from scratch on a
// project's own images while the project is in use, so that a collection without a CLIP model
// gets better features than raw pixels without leaving the app. This header holds what the
// front ends need before and around that training: the schedules, the speed of this machine
// and the expected time, and the record a project keeps of its training. The training itself is
// an InteractiveSession step (learn_features / adopt_learned_features).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "corral/core/convnet.h"
#include "corral/core/dataset.h"
#include "corral/core/expected.h"
#include "corral/core/job.h"

namespace corral {

// How long to train, relative to this build's default ConvnetTrainingParams (whatever those are):
// standard is the default schedule, quick a third of its epochs, thorough three times as many.
enum class LearningSchedule { quick, standard, thorough };

std::string_view schedule_name(LearningSchedule schedule);  // "quick", "standard", "thorough"
std::optional<LearningSchedule> schedule_from_name(std::string_view name);

// The training parameters of a schedule for `clusters` clusters; output_folder is left empty.
ConvnetTrainingParams schedule_params(LearningSchedule schedule, int clusters);

// Augmented views a run of `params` from scratch passes through the network (forward and
// backward) on a dataset of `images` images, as train_convnet draws them: the quantity the
// training time is proportional to.
std::int64_t training_views(const ConvnetTrainingParams& params, std::int64_t images);

// This machine's speed for one convnet configuration, timed on a sample of the dataset.
struct ConvnetSpeed {
    double decode_images_per_second = 0.0;    // decoding and resizing to the input size
    double training_views_per_second = 0.0;  // after warm-up
    double encode_images_per_second = 0.0;   // forward pass of decoded images
    std::int64_t sample_images = 0;
    bool valid() const {
        return decode_images_per_second > 0 && training_views_per_second > 0 && encode_images_per_second > 0;
    }
};

// Decodes a sample of `dataset` (up to 256 images spread over it), trains the network of
// `params` for a few steps on it (in a temporary folder, removed afterwards) and encodes it.
// Takes a few seconds; cancellable.
Expected<ConvnetSpeed> measure_convnet_speed(const Dataset& dataset, const ConvnetTrainingParams& params,
                                             const JobContext& job = {});

// The time learning features takes, split as the job spends it: decoding every image, training
// (`epochs_done` of params.epochs already in a checkpoint), encoding every image with the result.
struct LearningTime {
    double decode_seconds = 0.0;
    double training_seconds = 0.0;
    double encode_seconds = 0.0;
    double total() const { return decode_seconds + training_seconds + encode_seconds; }
};
LearningTime expected_learning_time(const ConvnetSpeed& speed, const ConvnetTrainingParams& params,
                                    std::int64_t images, int epochs_done = 0);

// What the user asked for: a schedule and its parameters (tests may shrink them).
struct FeatureLearningPlan {
    LearningSchedule schedule = LearningSchedule::standard;
    int epochs = 0;                    // 0 = the schedule's
    std::int64_t images_per_epoch = -1;  // -1 = the schedule's, 0 = every image
    std::optional<ConvnetSpeed> speed;   // measured before starting, if it was
};

enum class FeatureLearningStatus {
    training,  // started and not finished: continues when the project is opened again
    paused,    // cancelled by the user: the checkpoint stays, continuing is offered
    finished,  // the learned clustering was made (FeatureLearningState::clustering_id)
    failed,    // stopped by an error (FeatureLearningState::problem); starting again is offered
};
std::string_view status_name(FeatureLearningStatus status);

// The feature learning a project records (one per project; starting again replaces it).
struct FeatureLearningState {
    FeatureLearningStatus status = FeatureLearningStatus::training;
    LearningSchedule schedule = LearningSchedule::standard;
    int clusters = 0;
    int epochs = 0;
    std::int64_t images_per_epoch = 0;
    int epochs_completed = 0;            // in the checkpoint now
    std::optional<ConvnetSpeed> speed;   // as measured when it started (or first ran)
    std::string model_folder;            // relative to the project folder
    std::string encoder_id;              // once trained: the convnet:DIR encoder's id
    std::int64_t clustering_id = 0;      // once finished: the clustering it made
    std::string problem;                 // failed: why
    // The parameters it trains with: this build's defaults with the fields above.
    ConvnetTrainingParams training_params() const;
};

// The version of the record this build writes; records of a newer version are left alone.
inline constexpr int kFeatureLearningRecordVersion = 1;

}  // namespace corral
