#pragma once
// Squared Euclidean distances from a few rows to a few targets, on the calling thread (callers
// spread rows over threads). Row-major float32 inputs of `dimensions` values per row; norms are
// the rows' squared lengths. Writes out[r * target_count + t] = max(0, |p_r|^2 - 2 p_r.t_t + |t_t|^2).
#include <cstdint>
#include <string>
#include <vector>

namespace corral::detail {

void squared_distances_to_targets(const float* points, const float* point_norms, std::int64_t rows,
                                  const float* targets, const float* target_norms, std::int64_t target_count,
                                  std::int64_t dimensions, float* out);

using SquaredDistanceKernel = void (*)(const float* points, const float* point_norms, std::int64_t rows,
                                       const float* targets, const float* target_norms, std::int64_t target_count,
                                       std::int64_t dimensions, float* out);
struct NamedDistanceKernel {
    std::string name;  // the instruction set: "avx512", "avx2" or "baseline"
    SquaredDistanceKernel kernel;
};
// Every variant this CPU can run, the one squared_distances_to_targets uses first.
std::vector<NamedDistanceKernel> available_distance_kernels();

}  // namespace corral::detail
