// Schedules, speed and expected time of learning features from a project's images.
#include "corral/core/feature_learning.h"

#include <algorithm>
#include <atomic>
#include <chrono>

#include "data/subset_dataset.h"
#include "guard.h"

namespace corral {
namespace {

constexpr std::int64_t kSpeedSampleImages = 256;

// Epoch e of a run trains for `steps` steps; the first one also pays for the network's warm-up
// (memory, oneDNN kernels), so the speed is read from the epochs after it.
double steady_views_per_second(const ConvnetTrainingReport& report) {
    double views = 0.0, seconds = 0.0;
    for (std::size_t e = report.epochs.size() > 1 ? 1 : 0; e < report.epochs.size(); ++e) {
        const auto& epoch = report.epochs[e];
        views += epoch.images_per_second * epoch.elapsed_ms / 1000.0;
        seconds += epoch.elapsed_ms / 1000.0;
    }
    return seconds > 0 ? views / seconds : 0.0;
}

std::filesystem::path scratch_folder() {
    static std::atomic<int> counter{0};
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    return std::filesystem::temp_directory_path() /
           ("corral-speed-" + std::to_string(now) + "-" + std::to_string(counter++));
}

}  // namespace

std::string_view schedule_name(LearningSchedule schedule) {
    switch (schedule) {
        case LearningSchedule::quick: return "quick";
        case LearningSchedule::thorough: return "thorough";
        case LearningSchedule::standard: break;
    }
    return "standard";
}

std::optional<LearningSchedule> schedule_from_name(std::string_view name) {
    for (const auto schedule : {LearningSchedule::quick, LearningSchedule::standard, LearningSchedule::thorough}) {
        if (schedule_name(schedule) == name) return schedule;
    }
    return std::nullopt;
}

std::string_view status_name(FeatureLearningStatus status) {
    switch (status) {
        case FeatureLearningStatus::paused: return "paused";
        case FeatureLearningStatus::finished: return "finished";
        case FeatureLearningStatus::failed: return "failed";
        case FeatureLearningStatus::training: break;
    }
    return "training";
}

ConvnetTrainingParams schedule_params(LearningSchedule schedule, int clusters) {
    ConvnetTrainingParams params;
    params.clusters = clusters;
    switch (schedule) {
        case LearningSchedule::quick: params.epochs = std::max(1, (params.epochs + 2) / 3); break;
        case LearningSchedule::thorough: params.epochs *= 3; break;
        case LearningSchedule::standard: break;
    }
    return params;
}

std::int64_t training_views(const ConvnetTrainingParams& params, std::int64_t images) {
    if (images < 2 || params.epochs < 1 || params.batch_size < 2) return 0;
    // As train_convnet: a subset per epoch, whole batches only, at least one step.
    const std::int64_t per_epoch = params.images_per_epoch > 0 ? std::min(params.images_per_epoch, images) : images;
    const std::int64_t batch = std::min<std::int64_t>(params.batch_size, per_epoch);
    const std::int64_t steps = std::max<std::int64_t>(1, per_epoch / batch);
    return static_cast<std::int64_t>(params.epochs) * steps * batch * 2;
}

Expected<ConvnetSpeed> measure_convnet_speed(const Dataset& dataset, const ConvnetTrainingParams& params,
                                             const JobContext& job) {
    return detail::guarded("measuring the convnet's speed", [&]() -> Expected<ConvnetSpeed> {
        const auto sample = detail::SubsetDataset::evenly_spaced(dataset, kSpeedSampleImages);
        if (sample.size() < 2) return make_error(ErrorCode::invalid_argument, "the speed needs at least two images");
        ConvnetTrainingParams trial = params;
        trial.output_folder = scratch_folder();
        trial.resume = false;
        trial.epochs = 2;
        trial.images_per_epoch = std::min<std::int64_t>(sample.size(), 2 * static_cast<std::int64_t>(params.batch_size));
        struct Cleanup {
            std::filesystem::path folder;
            ~Cleanup() {
                std::error_code ignored;
                std::filesystem::remove_all(folder, ignored);
            }
        } cleanup{trial.output_folder};
        auto trained = train_convnet(sample, trial, job.stage(0.0, 0.8));
        if (!trained) return trained.error();
        Stopwatch encode_watch;
        auto encoded = predict_with_convnet(trial.output_folder, sample, job.stage(0.8, 1.0));
        if (!encoded) return encoded.error();
        const double encode_seconds = encode_watch.elapsed_ms() / 1000.0;
        ConvnetSpeed speed;
        speed.sample_images = sample.size();
        const double n = static_cast<double>(sample.size());
        speed.decode_images_per_second = n / std::max(1e-6, trained->load_ms / 1000.0);
        speed.training_views_per_second = steady_views_per_second(*trained);
        speed.encode_images_per_second = n / std::max(1e-6, encode_seconds);
        return speed;
    });
}

LearningTime expected_learning_time(const ConvnetSpeed& speed, const ConvnetTrainingParams& params,
                                    std::int64_t images, int epochs_done) {
    LearningTime time;
    if (!speed.valid() || images <= 0) return time;
    const double n = static_cast<double>(images);
    const double left = params.epochs > 0
                            ? static_cast<double>(std::max(0, params.epochs - epochs_done)) / params.epochs
                            : 0.0;
    time.decode_seconds = n / speed.decode_images_per_second;
    time.training_seconds = left * static_cast<double>(training_views(params, images)) / speed.training_views_per_second;
    time.encode_seconds = n / speed.encode_images_per_second;
    return time;
}

ConvnetTrainingParams FeatureLearningState::training_params() const {
    ConvnetTrainingParams params;
    params.clusters = clusters;
    params.epochs = epochs;
    params.images_per_epoch = images_per_epoch;
    return params;
}

}  // namespace corral
