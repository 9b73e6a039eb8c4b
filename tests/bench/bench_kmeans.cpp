// k-means on a planted Gaussian mixture, ours next to scikit-learn's KMeans (Lloyd, the same
// restarts) on the same data in the same run: time, time per iteration, inertia, peak memory.
// Usage: bench_kmeans [ROWS [DIMENSIONS [CLUSTERS [RESTARTS [SEED]]]]]   (defaults 70000 512 10 3 0)
// SEED seeds both k-means++ (ours) and scikit-learn's random_state: which optimum a restart
// reaches depends on its seeds, so compare over several.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "bench_support.h"
#include "corral/core/job.h"
#include "corral/core/kmeans.h"
#include "corral/core/runtime.h"

int main(int argc, char* argv[]) {
    corral::configure_runtime();
    const std::int64_t rows = argc > 1 ? std::atoll(argv[1]) : 70000;
    const std::int64_t cols = argc > 2 ? std::atoll(argv[2]) : 512;
    const int clusters = argc > 3 ? std::atoi(argv[3]) : 10;
    const int restarts = argc > 4 ? std::atoi(argv[4]) : 3;
    const std::uint64_t seed = argc > 5 ? std::strtoull(argv[5], nullptr, 10) : 0;
    std::mt19937 rng(1);
    std::normal_distribution<float> noise;
    corral::FloatMatrix centres(clusters, cols);
    for (auto& v : centres.values()) v = 2.0f * noise(rng);
    corral::FloatMatrix points(rows, cols);
    for (std::int64_t i = 0; i < rows; ++i) {
        const auto centre = centres.row(static_cast<std::int64_t>(rng() % clusters));
        auto row = points.row(i);
        for (std::int64_t d = 0; d < cols; ++d) row[d] = centre[d] + 3.0f * noise(rng);
    }

    std::printf("k-means benchmark: %lld x %lld, %d clusters, %d restarts, seed %llu\n", static_cast<long long>(rows),
                static_cast<long long>(cols), clusters, restarts, static_cast<unsigned long long>(seed));
    std::printf("machine: %s\nruntime: %s\n", corral::bench::machine_summary().c_str(), corral::runtime_summary().c_str());
    corral::KMeansParams params;
    params.clusters = clusters;
    params.restarts = restarts;
    params.seed = seed;
    corral::Stopwatch watch;
    auto result = corral::run_kmeans(points, params);
    const double ours_s = watch.elapsed_ms() / 1000;
    if (!result) {
        std::fprintf(stderr, "%s\n", result.error().describe().c_str());
        return 1;
    }
    std::printf("%-22s %8.2f s   inertia %.6g   (%d iterations in the best restart, %d in all: %.1f ms each; peak memory %.0f MiB)\n",
                "corral run_kmeans", ours_s, result->inertia, result->iterations, result->total_iterations,
                1000 * ours_s / std::max(1, result->total_iterations), corral::bench::peak_resident_mib());

    const std::string path = "/tmp/corral-bench-kmeans.f32";
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(points.data()),
                                                static_cast<std::streamsize>(points.values().size() * 4));
    std::ostringstream arguments;
    arguments << path << ' ' << rows << ' ' << cols << ' ' << clusters << ' ' << restarts << ' ' << seed;
    std::istringstream reference(corral::bench::run_python("tests/bench/kmeans_reference.py", arguments.str()));
    double sklearn_s = 0, sklearn_inertia = 0;
    int sklearn_threads = 0, sklearn_iterations = 0;
    if (reference >> sklearn_s >> sklearn_inertia >> sklearn_threads >> sklearn_iterations) {
        std::printf("%-22s %8.2f s   inertia %.6g   (%d threads, %d iterations in the best restart)\n", "sklearn KMeans",
                    sklearn_s, sklearn_inertia, sklearn_threads, sklearn_iterations);
        std::printf("sklearn / ours = %.2f, inertia ours / sklearn = %.5f\n", sklearn_s / ours_s,
                    result->inertia / sklearn_inertia);
    }
    std::remove(path.c_str());
    return 0;
}
