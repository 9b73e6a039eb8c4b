// Exact 20-NN of 70k x 512 (DESIGN §7: within a minute): our tiled GEMM with a streaming
// top-K over all rows, against the GEMM bound (2 N^2 D FLOP at torch::mm's square-sgemm rate,
// measured in the same run), scikit-learn's brute-force NearestNeighbors and faiss's exact
// IndexFlatL2 on a subsample of queries (against all rows), extrapolated to all rows; also the
// recall of our neighbours against scikit-learn's on that subsample, and the peak memory.
// Usage: bench_knn [ROWS [SAMPLE [DIMENSIONS [K]]]]   (defaults 70000 5000 512 20; t-SNE: 70000 5000 50 90)
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <torch/torch.h>

#include "bench_support.h"
#include "corral/core/job.h"
#include "corral/core/nearest_neighbors.h"
#include "corral/core/runtime.h"
#include "synthetic_features.h"

using namespace corral;

int main(int argc, char* argv[]) {
    configure_runtime();
    const std::int64_t rows = argc > 1 ? std::atoll(argv[1]) : 70000;
    const std::int64_t sample = argc > 2 ? std::atoll(argv[2]) : 5000;
    const std::int64_t dimensions = argc > 3 ? std::atoll(argv[3]) : 512;
    const int k = argc > 4 ? std::atoi(argv[4]) : 20;
    std::printf("kNN benchmark: %lld x %lld, K = %d\n%s\n%s\n", static_cast<long long>(rows),
                static_cast<long long>(dimensions), k, bench::machine_summary().c_str(), runtime_summary().c_str());
    const auto data = bench::make_synthetic_features(rows, dimensions, 10);
    double gemm_flops_per_second = 0;
    {
        // The machine's GEMM rate now (it is shared): torch::mm on 2048 x 2048 float32.
        torch::InferenceMode inference;
        const auto a = torch::randn({2048, 2048}), b = torch::randn({2048, 2048});
        torch::mm(a, b);
        Stopwatch gemm;
        for (int r = 0; r < 3; ++r) torch::mm(a, b);
        gemm_flops_per_second = 3 * 2.0 * 2048.0 * 2048.0 * 2048.0 / (gemm.elapsed_ms() / 1000);
        std::printf("torch::mm 2048^3 float32: %.1f GFLOP/s\n", gemm_flops_per_second / 1e9);
    }
    const double full_gemm_flop = 2.0 * static_cast<double>(rows) * static_cast<double>(rows) * static_cast<double>(dimensions);
    const double bound_seconds = full_gemm_flop / gemm_flops_per_second;

    Stopwatch clock;
    auto ours = find_nearest_neighbors(data.points, k, IncludeSelf::yes);
    if (!ours) {
        std::fprintf(stderr, "%s\n", ours.error().describe().c_str());
        return 1;
    }
    const double ours_ms = clock.elapsed_ms();
    std::printf("ours (upper-triangle tiles, streaming top-K), all %lld rows: %.1f s; peak memory %.0f MiB\n",
                static_cast<long long>(rows), ours_ms / 1000, bench::peak_resident_mib());
    std::printf("GEMM bound (2 N^2 D FLOP at the square-sgemm rate): %.1f s; ours / bound = %.2f\n", bound_seconds,
                ours_ms / 1000 / bound_seconds);

    const std::string file = "/tmp/corral_bench_knn_" + std::to_string(rows) + ".f32";
    {
        std::ofstream out(file, std::ios::binary);
        out.write(reinterpret_cast<const char*>(data.points.data()),
                  static_cast<std::streamsize>(data.points.values().size() * sizeof(float)));
    }
    const auto reference = bench::run_python("tests/bench/knn_reference.py",
                                             file + " " + std::to_string(rows) + " " + std::to_string(dimensions) + " " + std::to_string(k) + " " +
                                                 std::to_string(sample));
    std::remove(file.c_str());
    if (reference.empty()) return 1;
    std::istringstream lines(reference);
    double sklearn_seconds = 0;
    std::string faiss_field;
    lines >> sklearn_seconds >> faiss_field;
    const double faiss_seconds = std::strtod(faiss_field.c_str(), nullptr);
    std::int64_t matched = 0, total = 0;
    const std::int64_t stride = rows / sample;
    for (std::int64_t q = 0; q < sample; ++q) {
        const std::int64_t row = q * stride;
        std::vector<std::int64_t> expected(static_cast<std::size_t>(k));
        for (auto& index : expected) lines >> index;
        for (int j = 0; j < k; ++j) {
            const auto found = ours->indices[static_cast<std::size_t>(row * k + j)];
            matched += std::find(expected.begin(), expected.end(), found) != expected.end();
            ++total;
        }
    }
    const double extrapolated = sklearn_seconds * static_cast<double>(rows) / static_cast<double>(sample);
    std::printf("scikit-learn NearestNeighbors (brute), %lld query rows: %.1f s, extrapolated to all rows: %.1f s\n",
                static_cast<long long>(sample), sklearn_seconds, extrapolated);
    std::printf("recall of our neighbours against scikit-learn's: %.5f; scikit-learn / ours = %.2f\n",
                static_cast<double>(matched) / static_cast<double>(total), extrapolated / (ours_ms / 1000));
    if (std::isnan(faiss_seconds)) {
        std::printf("faiss: not installed (python3-faiss)\n");
    } else {
        const double faiss_extrapolated = faiss_seconds * static_cast<double>(rows) / static_cast<double>(sample);
        std::printf("faiss IndexFlatL2, %lld query rows: %.1f s, extrapolated to all rows: %.1f s; faiss / ours = %.2f\n",
                    static_cast<long long>(sample), faiss_seconds, faiss_extrapolated, faiss_extrapolated / (ours_ms / 1000));
    }
    return 0;
}
