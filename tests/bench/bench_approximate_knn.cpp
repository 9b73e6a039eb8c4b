// All-pairs 20-NN of 100k x 512 from the approximate index (HNSW) against the exact kNN, same
// run: the index's build and search times, its recall@20 against the exact neighbours, the
// process's peak resident memory after each, and as references hnswlib's own Python binding
// and faiss's IndexHNSWFlat (Debian's python3-hnswlib and python3-faiss, same settings, same
// thread count, same data) with their recall; each time is printed as a ratio to hnswlib's.
// Then value mining's selection of M picks with exact and with approximate representativeness
// on the same features, and the share of picks they have in common.
// Features: bench::make_synthetic_features (isotropic clusters), L2-normalised as value mining
// normalises them, so the kNN measured is representativeness's.
// Usage: bench_approximate_knn [ROWS [DIMENSIONS [K [PICKS]]]]   (defaults 100000 512 20 500;
//        PICKS = 0 skips the value-mining comparison)
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.h"
#include "corral/core/job.h"
#include "corral/core/nearest_neighbors.h"
#include "corral/core/runtime.h"
#include "corral/core/value_mining.h"
#include "synthetic_features.h"

using namespace corral;

namespace {

// The settings of core's index (core/src/knn.h, ApproximateKnnParams), given to the references.
constexpr int kLinks = 24;
constexpr int kConstructionCandidates = 100;
int search_candidates(int k) { return std::max(2 * k, 256); }

// Between stages: the warning line of bench::load_summary() when the load exceeds the cores.
void warn_if_loaded() {
    if (bench::load_average() > static_cast<double>(std::max(1u, std::thread::hardware_concurrency()))) {
        std::printf("%s\n", bench::load_summary().c_str());
    }
}

// Every row scaled to length 1 (value mining's normalisation).
void normalise_rows(FloatMatrix& points) {
    for (std::int64_t r = 0; r < points.rows(); ++r) {
        double sum = 0.0;
        for (std::int64_t d = 0; d < points.cols(); ++d) sum += static_cast<double>(points(r, d)) * points(r, d);
        const float scale = sum > 0.0 ? static_cast<float>(1.0 / std::sqrt(sum)) : 0.0f;
        for (std::int64_t d = 0; d < points.cols(); ++d) points(r, d) *= scale;
    }
}

// The share of `exact`'s neighbours (per row, as sets) that `found` has too; both N x K row-major.
double recall(const std::vector<std::int64_t>& found, const std::vector<std::int64_t>& exact, int k) {
    std::int64_t hits = 0;
    for (std::size_t row = 0; row * k < exact.size(); ++row) {
        const std::set<std::int64_t> truth(exact.begin() + static_cast<std::ptrdiff_t>(row * k),
                                           exact.begin() + static_cast<std::ptrdiff_t>((row + 1) * k));
        for (int j = 0; j < k; ++j) hits += truth.count(found[row * k + j]);
    }
    return static_cast<double>(hits) / static_cast<double>(exact.size());
}

std::vector<std::int64_t> read_indices(const std::string& path, std::size_t count) {
    std::vector<std::int64_t> indices(count, -1);
    std::ifstream in(path, std::ios::binary);
    in.read(reinterpret_cast<char*>(indices.data()), static_cast<std::streamsize>(count * sizeof(std::int64_t)));
    if (!in) indices.clear();
    std::remove(path.c_str());
    return indices;
}

struct Reference {
    std::string name;
    double build_s = 0.0;
    double search_s = 0.0;
    double recall = 0.0;
};

Selection select(const bench::SyntheticFeatures& data, KnnMethod method, int picks) {
    ValueMinerParams params;
    params.neighbor_method = method;
    ValueMiner miner(params);
    auto selection = miner.select(data.points, data.centres, picks);
    if (!selection) {
        std::fprintf(stderr, "value mining: %s\n", selection.error().describe().c_str());
        std::exit(1);
    }
    return std::move(*selection);
}

}  // namespace

int main(int argc, char* argv[]) {
    configure_runtime();
    const std::int64_t rows = argc > 1 ? std::atoll(argv[1]) : 100000;
    const std::int64_t dimensions = argc > 2 ? std::atoll(argv[2]) : 512;
    const int k = argc > 3 ? std::atoi(argv[3]) : 20;
    const int picks = argc > 4 ? std::atoi(argv[4]) : 500;
    const int threads = std::max(1u, std::thread::hardware_concurrency());
    std::printf("approximate kNN benchmark: %lld x %lld unit rows, K = %d (the point itself included), HNSW M = %d, "
                "ef_construction = %d, ef = %d\n%s\n%s\n",
                static_cast<long long>(rows), static_cast<long long>(dimensions), k, kLinks, kConstructionCandidates,
                search_candidates(k), bench::machine_summary().c_str(), runtime_summary().c_str());
    std::printf("automatic switches to the approximate index from %lld rows (kApproximateKnnMinPoints)\n",
                static_cast<long long>(kApproximateKnnMinPoints));
    auto data = bench::make_synthetic_features(rows, dimensions, 10);
    normalise_rows(data.points);
    std::printf("peak RSS with the features: %.0f MiB\n", bench::peak_resident_mib());

    // Approximate first, so that the peak after it is the index's, not the exact pass's.
    double build_s = 0.0;
    Stopwatch clock;
    const JobContext timed({}, [&](double, std::string_view message) {
        if (build_s == 0.0 && message.find("searching") != std::string_view::npos) build_s = clock.elapsed_ms() / 1000;
    });
    auto approximate = find_nearest_neighbors(data.points, k, IncludeSelf::yes, timed, KnnMethod::approximate);
    const double approximate_s = clock.elapsed_ms() / 1000;
    if (!approximate) {
        std::fprintf(stderr, "%s\n", approximate.error().describe().c_str());
        return 1;
    }
    const double search_s = approximate_s - build_s;
    std::printf("ours, approximate (HNSW, %d threads): build %.1f s, search %.1f s, total %.1f s; peak RSS %.0f MiB\n",
                threads, build_s, search_s, approximate_s, bench::peak_resident_mib());
    warn_if_loaded();

    clock.restart();
    auto exact = find_nearest_neighbors(data.points, k, IncludeSelf::yes, {}, KnnMethod::exact);
    const double exact_s = clock.elapsed_ms() / 1000;
    if (!exact) {
        std::fprintf(stderr, "%s\n", exact.error().describe().c_str());
        return 1;
    }
    const double our_recall = recall(approximate->indices, exact->indices, k);
    std::printf("ours, exact (tiled GEMM + streaming top-K): %.1f s; peak RSS %.0f MiB\n", exact_s,
                bench::peak_resident_mib());
    std::printf("recall@%d of ours, approximate, against exact: %.4f; exact / approximate time: %.2fx\n", k, our_recall,
                exact_s / approximate_s);
    warn_if_loaded();

    const std::string prefix = "/tmp/corral_bench_approximate_knn_" + std::to_string(rows);
    {
        std::ofstream out(prefix + ".f32", std::ios::binary);
        out.write(reinterpret_cast<const char*>(data.points.data()),
                  static_cast<std::streamsize>(data.points.values().size() * sizeof(float)));
    }
    const auto output = bench::run_python(
        "tests/bench/approximate_knn_reference.py",
        prefix + ".f32 " + std::to_string(rows) + " " + std::to_string(dimensions) + " " + std::to_string(k) + " " +
            std::to_string(threads) + " " + std::to_string(kLinks) + " " + std::to_string(kConstructionCandidates) + " " +
            std::to_string(search_candidates(k)) + " " + prefix);
    std::remove((prefix + ".f32").c_str());
    std::vector<Reference> references;
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream fields(line);
        std::string name;
        fields >> name;
        if (name == "peak_rss_mib") {
            double mib = 0.0;
            fields >> mib;
            std::printf("references' process: peak RSS %.0f MiB\n", mib);
            continue;
        }
        Reference reference{name};
        fields >> reference.build_s >> reference.search_s;
        if (!fields) continue;
        const auto indices = read_indices(prefix + "." + name + ".i64", exact->indices.size());
        reference.recall = indices.empty() ? std::nan("") : recall(indices, exact->indices, k);
        references.push_back(reference);
    }
    for (const auto& reference : references) {
        std::printf("%s (Python, %d threads): build %.1f s, search %.1f s, total %.1f s; recall@%d %.4f\n",
                    reference.name.c_str(), threads, reference.build_s, reference.search_s,
                    reference.build_s + reference.search_s, k, reference.recall);
    }
    for (const auto& reference : references) {
        const double total = reference.build_s + reference.search_s;
        std::printf("ratio to %s: ours approximate build %.2fx, search %.2fx, total %.2fx; ours exact %.2fx\n",
                    reference.name.c_str(), build_s / reference.build_s, search_s / reference.search_s,
                    approximate_s / total, exact_s / total);
    }
    if (references.empty()) std::printf("no reference ran (python3-hnswlib, python3-faiss?)\n");
    warn_if_loaded();

    if (picks > 0) {
        const auto exact_selection = select(data, KnnMethod::exact, picks);
        const auto approximate_selection = select(data, KnnMethod::approximate, picks);
        const auto chosen = static_cast<double>(exact_selection.picks.size());
        std::set<std::int64_t> exact_picks;
        for (const auto& pick : exact_selection.picks) exact_picks.insert(pick.sample);
        std::int64_t shared = 0;
        for (const auto& pick : approximate_selection.picks) shared += exact_picks.count(pick.sample);
        std::printf("value mining, %d picks (hard-rep-div): scoring %.1f s exact, %.1f s approximate; picks in common "
                    "%lld / %.0f = %.3f\n",
                    picks, exact_selection.scoring_ms / 1000, approximate_selection.scoring_ms / 1000,
                    static_cast<long long>(shared), chosen, static_cast<double>(shared) / chosen);
        warn_if_loaded();
    }
    return 0;
}
