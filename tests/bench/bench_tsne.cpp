// t-SNE speed and quality: Corral's FIt-SNE on Fashion-MNIST raw pixels (10k and 70k x 784),
// next to scikit-learn's Barnes-Hut TSNE measured in the same run on a subsample, with its time
// extrapolated to the full sizes by N log N (its complexity).
// Usage: bench_tsne [SIZES...] [--sklearn-points N]   (defaults: 10000 70000, 5000)
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <filesystem>
#include <fstream>

#include "bench_support.h"
#include "corral/core/dataset.h"
#include "corral/core/runtime.h"
#include "corral/core/tsne.h"

using namespace corral;

namespace {

Expected<FloatMatrix> fashion_mnist_pixels(std::int64_t limit) {
    DatasetOptions options;
    options.limit = limit;
    auto dataset = open_dataset("fashion-mnist", options);
    if (!dataset) return dataset.error();
    const std::int64_t n = (*dataset)->size();
    FloatMatrix pixels;
    for (std::int64_t i = 0; i < n; ++i) {
        auto image = (*dataset)->load_image(i);
        if (!image) return image.error();
        if (i == 0) pixels = FloatMatrix(n, static_cast<std::int64_t>(image->pixels.size()));
        for (std::size_t c = 0; c < image->pixels.size(); ++c) pixels(i, static_cast<std::int64_t>(c)) = image->pixels[c] / 255.0f;
    }
    return pixels;
}

void print_ours(const char* label, std::int64_t n, const TsneResult& result) {
    const auto& t = result.timings;
    std::printf("%-28s N=%-6lld %7.1f s  KL %.4f (%s Z)  [PCA %.1f s, kNN %.1f s, P %.1f s, descent %.1f s]\n", label,
                static_cast<long long>(n), t.total_ms / 1000, result.kl_divergence, result.kl_exact ? "exact" : "interpolated",
                t.pca_ms / 1000, t.neighbours_ms / 1000, t.affinities_ms / 1000, t.optimisation_ms / 1000);
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char* argv[]) {
    configure_runtime();
    std::vector<std::int64_t> sizes;
    std::int64_t sklearn_points = 5000;
    for (int a = 1; a < argc; ++a) {
        if (!std::strcmp(argv[a], "--sklearn-points") && a + 1 < argc) sklearn_points = std::stoll(argv[++a]);
        else sizes.push_back(std::stoll(argv[a]));
    }
    if (sizes.empty()) sizes = {10000, 70000};
    std::printf("bench_tsne: %s\n%s\n", bench::machine_summary().c_str(), runtime_summary().c_str());
    std::printf("input: Fashion-MNIST raw pixels / 255 (784 dims), PCA to 50, perplexity 30, 750 iterations\n\n");

    const TsneParams params;
    double sklearn_seconds = 0.0;
    if (sklearn_points > 0) {
        auto subsample = fashion_mnist_pixels(sklearn_points);
        if (!subsample) { std::cerr << subsample.error().describe() << "\n"; return 1; }
        auto ours = run_tsne(*subsample, params);
        if (!ours) { std::cerr << ours.error().describe() << "\n"; return 1; }
        print_ours("Corral FIt-SNE", subsample->rows(), *ours);
        const auto scratch = std::filesystem::temp_directory_path() / "corral_bench_tsne.bin";
        const auto layout_file = std::filesystem::temp_directory_path() / "corral_bench_tsne_layout.bin";
        std::ofstream(scratch, std::ios::binary)
            .write(reinterpret_cast<const char*>(subsample->data()), static_cast<std::streamsize>(subsample->values().size() * 4));
        std::ofstream(layout_file, std::ios::binary)
            .write(reinterpret_cast<const char*>(ours->layout.data()), static_cast<std::streamsize>(ours->layout.values().size() * 4));
        const std::string output = bench::run_python("tests/bench/tsne_reference.py", scratch.string() + " " +
                                                                                          std::to_string(subsample->rows()) +
                                                                                          " 784 " + layout_file.string());
        std::filesystem::remove(scratch);
        std::filesystem::remove(layout_file);
        double kl_reported = 0, kl_exact = 0, ours_under_sklearn_p = 0;
        if (std::sscanf(output.c_str(), "%lf %lf %lf %lf", &sklearn_seconds, &kl_reported, &kl_exact, &ours_under_sklearn_p) == 4) {
            std::printf("%-28s N=%-6lld %7.1f s  KL %.4f (exact Z; sklearn reports %.4f)\n",
                        "sklearn 1.2 TSNE barnes_hut", static_cast<long long>(subsample->rows()), sklearn_seconds, kl_exact,
                        kl_reported);
            std::printf("%-28s KL %.4f under sklearn's P (91 neighbours): %+.1f %% against sklearn's map\n",
                        "Corral's map, like for like", ours_under_sklearn_p, 100.0 * (ours_under_sklearn_p / kl_exact - 1.0));
        }
    }
    for (const auto n : sizes) {
        auto pixels = fashion_mnist_pixels(n);
        if (!pixels) { std::cerr << pixels.error().describe() << "\n"; return 1; }
        auto ours = run_tsne(*pixels, params);
        if (!ours) { std::cerr << ours.error().describe() << "\n"; return 1; }
        print_ours("Corral FIt-SNE", pixels->rows(), *ours);
        if (sklearn_seconds > 0.0) {
            const double scale = (static_cast<double>(n) * std::log(static_cast<double>(n))) /
                                 (static_cast<double>(sklearn_points) * std::log(static_cast<double>(sklearn_points)));
            std::printf("%-28s N=%-6lld %7.1f s  (extrapolated by N log N)\n", "sklearn 1.2 TSNE barnes_hut",
                        static_cast<long long>(n), sklearn_seconds * scale);
        }
    }
    return 0;
}
