// The k-means distance kernels (one per instruction set) against a float64 recomputation, on
// shapes that exercise every remainder: rows not a multiple of the row block, target counts
// below, at and past one group of sixteen, dimensions of 1 and odd sizes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "squared_distance_kernel.h"

using namespace corral;

namespace {

std::vector<float> normal_values(std::size_t count, std::mt19937& rng) {
    std::normal_distribution<float> normal;
    std::vector<float> values(count);
    for (auto& value : values) value = normal(rng);
    return values;
}

std::vector<float> squared_norms(const std::vector<float>& rows, std::int64_t dimensions) {
    std::vector<float> norms(rows.size() / static_cast<std::size_t>(dimensions), 0.0f);
    for (std::size_t r = 0; r < norms.size(); ++r) {
        double sum = 0.0;
        for (std::int64_t d = 0; d < dimensions; ++d) sum += std::pow(rows[r * dimensions + d], 2);
        norms[r] = static_cast<float>(sum);
    }
    return norms;
}

}  // namespace

TEST_CASE("each distance kernel matches a float64 recomputation on every remainder of its blocks", "[unit]") {
    const auto kernels = corral::detail::available_distance_kernels();
    REQUIRE(kernels.back().name == "baseline");
    std::mt19937 rng(5);
    for (const auto& [name, kernel] : kernels) {
        for (const std::int64_t rows : {1, 7, 8, 9, 37}) {
            for (const std::int64_t targets : {1, 4, 16, 17, 40}) {
                for (const std::int64_t dimensions : {1, 3, 16, 130}) {
                    INFO(name << ": " << rows << " rows, " << targets << " targets, " << dimensions << " dimensions");
                    const auto points = normal_values(static_cast<std::size_t>(rows * dimensions), rng);
                    const auto centres = normal_values(static_cast<std::size_t>(targets * dimensions), rng);
                    const auto point_norms = squared_norms(points, dimensions);
                    const auto centre_norms = squared_norms(centres, dimensions);
                    std::vector<float> out(static_cast<std::size_t>(rows * targets), -1.0f);
                    kernel(points.data(), point_norms.data(), rows, centres.data(), centre_norms.data(), targets,
                           dimensions, out.data());
                    double worst = 0.0;
                    for (std::int64_t r = 0; r < rows; ++r) {
                        for (std::int64_t t = 0; t < targets; ++t) {
                            double expected = 0.0;
                            for (std::int64_t d = 0; d < dimensions; ++d) {
                                expected += std::pow(static_cast<double>(points[r * dimensions + d]) - centres[t * dimensions + d], 2);
                            }
                            // float32 with norms of about 2 * dimensions: the expansion loses a few ulps of them
                            const double scale = 1.0 + point_norms[r] + centre_norms[t];
                            worst = std::max(worst, std::abs(out[r * targets + t] - expected) / scale);
                        }
                    }
                    CHECK(worst < 1e-5);
                    CHECK(std::all_of(out.begin(), out.end(), [](float v) { return v >= 0.0f; }));
                }
            }
        }
    }
}

TEST_CASE("the distance kernels clamp the rounding of coincident points at zero", "[unit]") {
    std::vector<float> point(33);
    for (std::size_t d = 0; d < point.size(); ++d) point[d] = 0.1f * static_cast<float>(d) + 1.0f / 3.0f;
    double norm = 0.0;
    for (const float v : point) norm += static_cast<double>(v) * v;
    const float norms[1] = {static_cast<float>(norm) * (1.0f + 1e-6f)};  // rounding that would dip below zero
    for (const auto& [name, kernel] : corral::detail::available_distance_kernels()) {
        float out = -1.0f;
        const float target_norms[1] = {static_cast<float>(norm) * (1.0f - 3e-6f)};
        kernel(point.data(), norms, 1, point.data(), target_norms, 1, 33, &out);
        INFO(name);
        CHECK(out >= 0.0f);
        CHECK(out < 1e-3f);
    }
}
