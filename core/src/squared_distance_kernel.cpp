#include "squared_distance_kernel.h"

#include <algorithm>
#include <cstring>
#include <vector>

// Every function that takes or returns a vector is inlined into a kernel compiled for its
// instruction set, so no vector crosses a call and the ABI note does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace corral::detail {
namespace {

// Sixteen targets side by side: each row's dot products with them are one vector of partial
// sums, so no horizontal additions are needed (one AVX-512, two AVX or four SSE registers).
constexpr std::int64_t kLanes = 16;
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));

// Read through memcpy (one unaligned vector load): heap blocks are not aligned to a vector's
// 64 bytes (an aligned load crashed).
__attribute__((always_inline)) inline Lanes load_lanes(const float* source) {
    Lanes lanes;
    std::memcpy(&lanes, source, sizeof lanes);
    return lanes;
}

// The targets in groups of kLanes, each group transposed: group g, dimension d holds element d
// of targets 16g .. 16g + 15 (zero past the last target).
std::vector<float> transposed_targets(const float* targets, std::int64_t target_count, std::int64_t dimensions) {
    const std::int64_t groups = (target_count + kLanes - 1) / kLanes;
    std::vector<float> transposed(static_cast<std::size_t>(groups * dimensions * kLanes), 0.0f);
    for (std::int64_t t = 0; t < target_count; ++t) {
        for (std::int64_t d = 0; d < dimensions; ++d) {
            transposed[static_cast<std::size_t>(((t / kLanes) * dimensions + d) * kLanes + t % kLanes)] =
                targets[t * dimensions + d];
        }
    }
    return transposed;
}

// `Rows` rows against one group of targets: each element of a row is broadcast against the
// group's column, with one accumulator per row so consecutive multiply-adds do not wait on
// each other.
template <int Rows>
__attribute__((always_inline)) inline void dot_block(const float* points, std::int64_t dimensions, const float* column,
                                                     Lanes* dots) {
    Lanes partial[Rows] = {};
    for (std::int64_t d = 0; d < dimensions; ++d) {
        const Lanes targets = load_lanes(column + d * kLanes);
        for (int r = 0; r < Rows; ++r) partial[r] += points[r * dimensions + d] * targets;
    }
    for (int r = 0; r < Rows; ++r) dots[r] = partial[r];
}

template <int Rows>
__attribute__((always_inline)) inline void distances_to_targets(const float* points, const float* point_norms,
                                                                 std::int64_t rows, const float* targets,
                                                                 const float* target_norms, std::int64_t target_count,
                                                                 std::int64_t dimensions, float* out) {
    const auto transposed = transposed_targets(targets, target_count, dimensions);
    const std::int64_t groups = (target_count + kLanes - 1) / kLanes;
    Lanes dots[Rows];
    const auto write = [&](std::int64_t first, int count, std::int64_t group) {
        const std::int64_t lanes = std::min(kLanes, target_count - group * kLanes);
        for (int k = 0; k < count; ++k) {
            for (std::int64_t lane = 0; lane < lanes; ++lane) {
                const std::int64_t t = group * kLanes + lane;
                const float squared = point_norms[first + k] - 2.0f * dots[k][lane] + target_norms[t];
                out[(first + k) * target_count + t] = std::max(squared, 0.0f);
            }
        }
    };
    std::int64_t r = 0;
    for (; r + Rows <= rows; r += Rows) {
        for (std::int64_t g = 0; g < groups; ++g) {
            dot_block<Rows>(points + r * dimensions, dimensions, transposed.data() + g * dimensions * kLanes, dots);
            write(r, Rows, g);
        }
    }
    for (; r < rows; ++r) {
        for (std::int64_t g = 0; g < groups; ++g) {
            dot_block<1>(points + r * dimensions, dimensions, transposed.data() + g * dimensions * kLanes, dots);
            write(r, 1, g);
        }
    }
}

// The same loops compiled for three instruction sets. The distribution's flags stop at SSE2,
// which left k-means at half of scikit-learn's speed (its BLAS picks a kernel at run time).
// Chosen by CPU features rather than GCC's target_clones("arch=..."), which tests the CPU
// model and so falls back to SSE2 on virtual machines that report a generic one. The row
// counts fill the register files (32 AVX-512 registers; 16 AVX or SSE registers).
__attribute__((target("avx512f,avx512vl,avx2,fma"))) void distances_avx512(
    const float* points, const float* point_norms, std::int64_t rows, const float* targets,
    const float* target_norms, std::int64_t target_count, std::int64_t dimensions, float* out) {
    distances_to_targets<8>(points, point_norms, rows, targets, target_norms, target_count, dimensions, out);
}

__attribute__((target("avx2,fma"))) void distances_avx2(const float* points, const float* point_norms,
                                                        std::int64_t rows, const float* targets,
                                                        const float* target_norms, std::int64_t target_count,
                                                        std::int64_t dimensions, float* out) {
    distances_to_targets<4>(points, point_norms, rows, targets, target_norms, target_count, dimensions, out);
}

void distances_baseline(const float* points, const float* point_norms, std::int64_t rows, const float* targets,
                        const float* target_norms, std::int64_t target_count, std::int64_t dimensions, float* out) {
    distances_to_targets<2>(points, point_norms, rows, targets, target_norms, target_count, dimensions, out);
}

bool has_avx512() {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
}
bool has_avx2() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

}  // namespace

void squared_distances_to_targets(const float* points, const float* point_norms, std::int64_t rows,
                                  const float* targets, const float* target_norms, std::int64_t target_count,
                                  std::int64_t dimensions, float* out) {
    static const SquaredDistanceKernel kernel = available_distance_kernels().front().kernel;
    kernel(points, point_norms, rows, targets, target_norms, target_count, dimensions, out);
}

std::vector<NamedDistanceKernel> available_distance_kernels() {
    __builtin_cpu_init();
    std::vector<NamedDistanceKernel> kernels;
    if (has_avx512()) kernels.push_back({"avx512", distances_avx512});
    if (has_avx2()) kernels.push_back({"avx2", distances_avx2});
    kernels.push_back({"baseline", distances_baseline});
    return kernels;
}

}  // namespace corral::detail
