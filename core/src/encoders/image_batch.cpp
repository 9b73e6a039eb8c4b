#include "encoders/image_batch.h"

#include <opencv2/imgproc.hpp>

#include <atomic>
#include <mutex>
#include <thread>

#include "guard.h"

namespace corral::detail {
namespace {

cv::Mat to_geometry(const Image& image, const ImageGeometry& geometry) {
    cv::Mat source(image.height, image.width, image.channels == 1 ? CV_8UC1 : CV_8UC3,
                   const_cast<std::uint8_t*>(image.pixels.data()));
    cv::Mat converted = source;
    if (image.channels == 1 && geometry.channels == 3) cv::cvtColor(source, converted, cv::COLOR_GRAY2RGB);
    if (image.channels == 3 && geometry.channels == 1) cv::cvtColor(source, converted, cv::COLOR_RGB2GRAY);
    if (converted.cols == geometry.side && converted.rows == geometry.side) return converted.clone();
    cv::Mat resized;
    const bool shrinking = converted.cols > geometry.side || converted.rows > geometry.side;
    cv::resize(converted, resized, cv::Size(geometry.side, geometry.side), 0, 0,
               shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
    return resized;
}

}  // namespace

Expected<ImageGeometry> native_geometry(const Dataset& dataset) {
    if (dataset.size() == 0) return make_error(ErrorCode::invalid_argument, "the dataset is empty");
    auto first = guarded("image #0", [&] { return dataset.load_image(0); });
    if (!first) return first.error();
    ImageGeometry geometry;
    geometry.channels = first->channels;
    const int side = std::max(first->width, first->height);
    geometry.side = side <= 48 ? side : 32;
    return geometry;
}

Expected<torch::Tensor> load_image_batch(const Dataset& dataset, std::int64_t begin, std::int64_t count,
                                         const ImageGeometry& geometry, const JobContext& job) {
    const std::int64_t plane = static_cast<std::int64_t>(geometry.side) * geometry.side;
    auto batch = torch::empty({count, geometry.side, geometry.side, geometry.channels}, torch::kUInt8);
    std::uint8_t* target = batch.data_ptr<std::uint8_t>();
    std::atomic<std::int64_t> next{0};
    std::atomic<std::int64_t> done{0};
    std::mutex progress_mutex;
    std::int64_t reported = 0;  // under progress_mutex
    // About a hundred reports per call, however many images: a chunk of large files takes a while.
    const std::int64_t report_every = std::max<std::int64_t>(1, count / 100);
    std::vector<Error> errors(static_cast<std::size_t>(count));
    std::vector<char> failed(static_cast<std::size_t>(count), 0);
    auto worker = [&] {
        for (std::int64_t i = next++; i < count && !job.stop_requested(); i = next++) {
            // An exception must not reach the top of a worker thread (std::terminate).
            auto placed = guarded("image #" + std::to_string(begin + i), [&]() -> Status {
                // Decoded no larger than needed: a large JPEG comes back at 1/2 to 1/8 of its size.
                auto image = dataset.load_image(begin + i, ImageRequest{geometry.side, false});
                if (!image) return image.error();
                cv::Mat pixels = to_geometry(*image, geometry);
                std::memcpy(target + i * plane * geometry.channels, pixels.data,
                            static_cast<std::size_t>(plane * geometry.channels));
                return ok();
            });
            if (!placed) {
                errors[static_cast<std::size_t>(i)] = placed.error();
                failed[static_cast<std::size_t>(i)] = 1;
            }
            if (const auto finished = ++done; finished % report_every == 0) {
                // Progress sinks need not be thread-safe, and another worker may have reported a
                // later count between our increment and the lock: progress never goes back.
                std::lock_guard lock(progress_mutex);
                if (finished > reported) {
                    reported = finished;
                    job.report(static_cast<double>(finished) / static_cast<double>(count), "decoding images");
                }
            }
        }
    };
    // Packed datasets decode in microseconds; threads pay off only for files.
    const unsigned workers = count < 64 ? 1u : std::max(1u, std::thread::hardware_concurrency());
    {
        std::vector<std::jthread> threads;
        for (unsigned t = 1; t < workers; ++t) threads.emplace_back(worker);
        worker();
    }
    if (job.stop_requested()) return cancelled_error();
    for (std::size_t i = 0; i < failed.size(); ++i) {
        if (failed[i]) return errors[i];
    }
    return batch.permute({0, 3, 1, 2}).contiguous();
}

Expected<torch::Tensor> load_all_images(const Dataset& dataset, const ImageGeometry& geometry, const JobContext& job) {
    constexpr std::int64_t chunk = 4096;
    std::vector<torch::Tensor> parts;
    for (std::int64_t begin = 0; begin < dataset.size(); begin += chunk) {
        const auto count = std::min(chunk, dataset.size() - begin);
        const double n = static_cast<double>(dataset.size());
        auto part = load_image_batch(dataset, begin, count, geometry,
                                     job.stage(static_cast<double>(begin) / n, static_cast<double>(begin + count) / n));
        if (!part) return part.error();
        parts.push_back(*part);
    }
    return torch::cat(parts, 0);
}

}  // namespace corral::detail
