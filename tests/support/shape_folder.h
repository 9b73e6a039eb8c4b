#pragma once
// A small image folder with planted classes, written as PNG files for tests that go through
// the real folder reader: one subfolder per class (disk, horizontal bar, vertical bar), each
// image a shape at a random place, size and colour on a noisy dark background.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <random>
#include <string>

namespace corral::testing {

inline void write_shape_folder(const std::filesystem::path& folder, int images, int side = 32, unsigned seed = 3) {
    const char* classes[] = {"disk", "horizontal", "vertical"};
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (const char* name : classes) std::filesystem::create_directories(folder / name);
    for (int item = 0; item < images; ++item) {
        const int label = item % 3;
        cv::Mat image(side, side, CV_8UC3);
        cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(40));
        const cv::Point centre(static_cast<int>(side * (0.35 + 0.3 * unit(rng))), static_cast<int>(side * (0.35 + 0.3 * unit(rng))));
        const int extent = static_cast<int>(side * (0.22 + 0.1 * unit(rng)));
        const int thickness = std::max(2, static_cast<int>(side * (0.08 + 0.05 * unit(rng))));
        const cv::Scalar colour(120 + 130 * unit(rng), 120 + 130 * unit(rng), 120 + 130 * unit(rng));
        if (label == 0) cv::circle(image, centre, extent * 7 / 10, colour, cv::FILLED);
        if (label == 1) cv::rectangle(image, centre - cv::Point(extent, thickness), centre + cv::Point(extent, thickness), colour, cv::FILLED);
        if (label == 2) cv::rectangle(image, centre - cv::Point(thickness, extent), centre + cv::Point(thickness, extent), colour, cv::FILLED);
        cv::imwrite((folder / classes[label] / ("shape-" + std::to_string(item) + ".png")).string(), image);
    }
}

}  // namespace corral::testing
