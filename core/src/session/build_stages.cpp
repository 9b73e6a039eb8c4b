#include "session/build_stages.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "corral/core/feedback_training.h"
#include "corral/core/kmeans.h"
#include "corral/core/project.h"
#include "data/packed_dataset.h"
#include "data/subset_dataset.h"
#include "guard.h"
#include "session/session_state.h"

namespace corral::session_detail {
namespace {

// Samples small enough to time in about a second: decoding a file is costly, a packed image is not.
constexpr std::int64_t kFileSample = 16;
constexpr std::int64_t kPackedSample = 256;
constexpr std::int64_t kLargerSample = 3;  // the second sample is this many times the first

double seconds_of(const Stopwatch& watch) { return watch.elapsed_ms() / 1000.0; }

// t(n) = fixed + per_image * n through two timings, extrapolated to `images`.
double extrapolate(double small_seconds, std::int64_t small_n, double large_seconds, std::int64_t large_n, std::int64_t images) {
    const double per_image = std::max(0.0, (large_seconds - small_seconds) / static_cast<double>(large_n - small_n));
    const double fixed = std::max(0.0, small_seconds - per_image * static_cast<double>(small_n));
    return fixed + per_image * static_cast<double>(images);
}

// Decodes every image of `sample` as checking does (smallest size, on every core).
Status check_sample(const Dataset& sample, const JobContext& job) {
    std::atomic<std::int64_t> next{0};
    std::atomic<bool> failed{false};
    auto worker = [&] {
        for (std::int64_t i = next++; i < sample.size() && !job.stop_requested(); i = next++) {
            // A file that does not decode is the check's business, not the timing's.
            if (!detail::guarded("", [&] { return sample.load_image(i, ImageRequest{1, false}); })) failed = true;
        }
    };
    const unsigned workers = std::max(1u, std::thread::hardware_concurrency());
    {
        std::vector<std::jthread> threads;
        for (unsigned t = 1; t < workers; ++t) threads.emplace_back(worker);
        worker();
    }
    if (job.stop_requested()) return cancelled_error();
    return ok();
}

struct SampleTimes {
    double encoding = 0.0;
    double clustering = 0.0;
    std::int64_t feature_columns = 0;
    double preparing = 0.0;  // normalising, centres and exemplars
    double head_step = 0.0;  // seconds per step of the head's initial fit
};

// Stand-in features for timing the head on a reopened project: only their shape matters.
FloatMatrix random_features(std::int64_t rows, std::int64_t columns, std::vector<int>& assignment, int clusters) {
    FloatMatrix features(rows, columns);
    std::uint32_t state = 12345;
    for (auto& value : features.values()) {
        state = state * 1664525u + 1013904223u;
        value = static_cast<float>(state >> 8) / 16777216.0f - 0.5f;
    }
    assignment.resize(static_cast<std::size_t>(rows));
    for (std::int64_t i = 0; i < rows; ++i) assignment[static_cast<std::size_t>(i)] = static_cast<int>(i % clusters);
    return features;
}

Expected<SampleTimes> time_sample(const Dataset& sample, const SessionSettings& settings, const BuildStages& stages,
                                  ImageEncoder* encoder, const JobContext& job) {
    SampleTimes times;
    const int clusters = std::min<int>(settings.clusters, static_cast<int>(sample.size()));
    FloatMatrix features;
    std::vector<int> assignment;
    Stopwatch watch;
    if (stages.cluster) {
        auto encoded = encoder->encode(sample, job.stage(0.0, 0.5));
        if (!encoded) return encoded.error();
        times.encoding = seconds_of(watch);
        features = std::move(*encoded);
        watch.restart();
        normalize_rows(features);
        KMeansParams params;
        params.clusters = clusters;
        params.metric = DistanceMetric::cosine;
        params.seed = settings.seed;
        auto kmeans = run_kmeans(features, params, job.stage(0.5, 0.75));
        if (!kmeans) return kmeans.error();
        times.clustering = seconds_of(watch);
        times.feature_columns = features.cols();
        assignment = std::move(kmeans->assignment);
        watch.restart();
        FloatMatrix centres;
        std::vector<std::vector<std::int64_t>> exemplars;
        centres_and_exemplars(features, assignment, clusters, centres, exemplars);
        times.preparing = seconds_of(watch);
    } else if (stages.fit_head && stages.feature_columns > 0) {
        features = random_features(sample.size(), stages.feature_columns, assignment, clusters);
    }
    if (stages.fit_head && clusters >= 2 && features.rows() > 0) {
        auto head_params = trainer_params(settings, clusters);
        head_params.initial_fit_min_steps = 20;
        head_params.initial_fit_epochs = 1;
        FeedbackTrainer trainer(head_params);
        watch.restart();
        auto fitted = trainer.fit_initial(features, assignment, job.stage(0.75, 1.0));
        if (!fitted) return fitted.error();
        times.head_step = seconds_of(watch) / static_cast<double>(initial_fit_steps(head_params, sample.size()));
    }
    return times;
}

// k-means on `points` points of `columns` columns, from one restart on stand-in points of the
// same width: a sample converges in a few iterations and fits in the cache, so its timing says
// little about the whole. Seeding and the time per iteration are timed on up to kKMeansRows
// points (two runs of fixed iteration counts) and scaled to `points`; the iterations are the
// typical count for that many points.
constexpr std::int64_t kKMeansRows = 16384;

Expected<double> kmeans_seconds(std::int64_t points, std::int64_t columns, const SessionSettings& settings,
                                const JobContext& job) {
    const std::int64_t rows = std::min(points, kKMeansRows);
    std::vector<int> unused;
    auto stand_in = random_features(rows, columns, unused, 1);
    normalize_rows(stand_in);
    KMeansParams params;
    const int restarts = params.restarts;
    const int iterations = expected_kmeans_iterations(points, params.max_iterations);
    params.clusters = std::min<int>(settings.clusters, static_cast<int>(rows));
    params.metric = DistanceMetric::cosine;
    params.restarts = 1;
    params.tolerance = 0.0;  // never converged: exactly max_iterations
    double seconds[2] = {0.0, 0.0};
    const int counts[2] = {2, 10};
    for (int run = 0; run < 2; ++run) {
        params.max_iterations = counts[run];
        Stopwatch watch;
        if (auto timed = run_kmeans(stand_in, params, JobContext(job.stop_token(), {})); !timed) return timed.error();
        seconds[run] = seconds_of(watch);
    }
    const double per_iteration = std::max(0.0, (seconds[1] - seconds[0]) / (counts[1] - counts[0]));
    const double seeding = std::max(0.0, seconds[0] - counts[0] * per_iteration);
    return restarts * (seeding + per_iteration * iterations) * static_cast<double>(points) / static_cast<double>(rows);
}

}  // namespace

Expected<BuildStageSeconds> measure_build_stages(const Dataset& listed, const SessionSettings& settings,
                                                 const BuildStages& stages, ImageEncoder* encoder, const JobContext& job) {
    return detail::guarded("timing the project's stages", [&]() -> Expected<BuildStageSeconds> {
        const std::int64_t images = listed.size();
        const bool packed = dynamic_cast<const detail::PackedDataset*>(&listed) != nullptr;
        BuildStageSeconds seconds;
        std::int64_t small_n = std::max<std::int64_t>(packed ? kPackedSample : kFileSample, 3 * settings.clusters);
        if (images < 2 * kLargerSample * small_n) {
            // A small collection builds in seconds: equal shares are good enough, and a sample
            // would cost a good part of the build.
            seconds.checking = stages.check && !packed;
            seconds.recording = stages.record;
            seconds.encoding = seconds.clustering = stages.cluster;
            seconds.preparing = 1.0;
            return seconds;
        }
        const std::int64_t large_n = kLargerSample * small_n;
        const auto small = detail::SubsetDataset::evenly_spaced(listed, small_n);
        const auto large = detail::SubsetDataset::evenly_spaced(listed, large_n);
        const double n = static_cast<double>(images);
        Stopwatch watch;
        if (stages.check && !packed) {
            if (auto checked = check_sample(small, job.stage(0.0, 0.2)); !checked) return checked.error();
            seconds.checking = seconds_of(watch) * n / static_cast<double>(small_n);
        }
        job.report(0.2, "timing the stages");
        if (stages.record) {
            watch.restart();
            // Both samples: hashing a packed image takes microseconds, less than what a call costs.
            auto described = describe_images(small, job.stage(0.2, 0.25));
            if (!described) return described.error();
            const double small_seconds = seconds_of(watch);
            watch.restart();
            described = describe_images(large, job.stage(0.25, 0.3));
            if (!described) return described.error();
            seconds.recording = extrapolate(small_seconds, small_n, seconds_of(watch), large_n, images);
        }
        job.report(0.3, "timing the stages");
        auto first = time_sample(small, settings, stages, encoder, job.stage(0.3, 0.5));
        if (!first) return first.error();
        auto second = time_sample(large, settings, stages, encoder, job.stage(0.5, 0.9));
        if (!second) return second.error();
        seconds.encoding = extrapolate(first->encoding, small_n, second->encoding, large_n, images);
        if (stages.cluster && second->feature_columns > 0) {
            auto clustering = kmeans_seconds(images, second->feature_columns, settings, job);
            job.report(0.95, "timing the stages");
            if (!clustering) return clustering.error();
            seconds.clustering = *clustering;
        }
        seconds.preparing = extrapolate(first->preparing, small_n, second->preparing, large_n, images);
        if (stages.fit_head) {
            const auto params = trainer_params(settings, settings.clusters);
            seconds.preparing += second->head_step * static_cast<double>(initial_fit_steps(params, images));
        }
        job.report(1.0, "timing the stages");
        return seconds;
    });
}

BuildProgress plan_build_progress(const JobContext& job, double begin, const BuildStageSeconds& seconds) {
    const double total = std::max(1e-9, seconds.total());
    double at = begin;
    auto next = [&](double stage_seconds) {
        const double end = std::min(1.0, at + (1.0 - begin) * stage_seconds / total);
        auto context = job.stage(at, end);
        at = end;
        return context;
    };
    BuildProgress progress;
    progress.checking = next(seconds.checking);
    progress.recording = next(seconds.recording);
    progress.encoding = next(seconds.encoding);
    progress.clustering = next(seconds.clustering);
    progress.preparing = job.stage(at, 1.0);
    return progress;
}

}  // namespace corral::session_detail
