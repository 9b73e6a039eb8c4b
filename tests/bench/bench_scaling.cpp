// How each heavy step grows from 10k to 1M images (issue 16): on synthetic clustered features
// (D = 512) the kNN of representativeness, value scoring, the greedy selection of 500, k-means,
// t-SNE and one epoch of the cluster head; on a packed image collection (IDX, made by
// make_packed_dataset.py from Fashion-MNIST) project creation and reopening as the app does them.
// Each step prints its time, its own peak resident memory and, where one exists, a reference
// measured in the same run with the ratio reference / ours (above 1: ours is faster). A step
// started while the load average exceeds the core count is flagged: its figures are upper bounds.
// Usage: bench_scaling [SIZES...] [--steps knn,kmeans,tsne,head,project] [--images DIR]
//        (defaults: 10000 100000 1000000, every step; the collection of N images is DIR/N, made
//        when missing, DIR defaulting to /tmp/corral-scaling-images). Scratch files under /tmp are removed.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "bench_support.h"
#include "corral/core/feedback_training.h"
#include "corral/core/interactive_session.h"
#include "corral/core/job.h"
#include "corral/core/kmeans.h"
#include "corral/core/runtime.h"
#include "corral/core/tsne.h"
#include "corral/core/value_mining.h"
#include "synthetic_features.h"

using namespace corral;
namespace fs = std::filesystem;

namespace {

constexpr int kDimensions = 512;
constexpr int kClusters = 10;
constexpr int kPicks = 500;
constexpr std::int64_t kKnnReferenceQueries = 2000;  // sklearn and faiss answer these; the rest is extrapolated
constexpr std::int64_t kTsneReferencePoints = 5000;  // sklearn's t-SNE runs on these; N log N beyond

struct StepReport {
    std::string step;
    double seconds = 0.0;
    double peak_mib = 0.0;
    std::string reference;   // what the reference is
    double reference_seconds = 0.0;  // 0: none
    bool loaded = false;     // the load average exceeded the cores when the step started
    std::string note;
};

bool machine_loaded() {
    return bench::load_average() > static_cast<double>(std::max(1u, std::thread::hardware_concurrency()));
}

void print(std::int64_t rows, const StepReport& report) {
    char ratio[64] = "-";
    if (report.reference_seconds > 0.0) std::snprintf(ratio, sizeof ratio, "%.3g", report.reference_seconds / report.seconds);
    char reference_time[64] = "-";
    if (report.reference_seconds > 0.0) std::snprintf(reference_time, sizeof reference_time, "%.3g s", report.reference_seconds);
    std::printf("| %lld | %s%s | %.3g s | %.0f MiB | %s | %s | %s | %s |\n", static_cast<long long>(rows),
                report.step.c_str(), report.loaded ? " (load > cores: upper bound)" : "", report.seconds, report.peak_mib,
                report.reference.empty() ? "-" : report.reference.c_str(), reference_time, ratio, report.note.c_str());
    std::fflush(stdout);
}

template <typename T>
T require(Expected<T> value, const char* what) {
    if (!value) {
        std::fprintf(stderr, "%s: %s\n", what, value.error().describe().c_str());
        std::exit(1);
    }
    return std::move(*value);
}

void write_floats(const fs::path& path, const FloatMatrix& matrix) {
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(matrix.data()), static_cast<std::streamsize>(matrix.rows() * matrix.cols() * 4));
}

std::string arguments(std::initializer_list<std::string> parts) {
    std::string joined;
    for (const auto& part : parts) joined += (joined.empty() ? "" : " ") + part;
    return joined;
}

// Value mining's three stages from one selection: kNN, the rest of the scoring, the greedy.
std::vector<StepReport> selection_steps(const bench::SyntheticFeatures& data, const fs::path& features_file) {
    std::vector<StepReport> reports(3);
    reports[0].loaded = reports[1].loaded = reports[2].loaded = machine_loaded();
    bench::reset_peak_resident();
    ValueMiner miner;
    const auto selection = require(miner.select(data.points, data.centres, kPicks), "value mining");
    const double peak = bench::step_peak_resident_mib();
    const std::int64_t rows = data.points.rows();
    reports[0].step = std::string("20-NN (") + std::string(knn_method_name(resolve_knn_method(KnnMethod::automatic, rows))) + ")";
    reports[0].seconds = selection.neighbours_ms / 1000;
    reports[0].peak_mib = peak;
    reports[1].step = "scoring (hardness, representativeness from the kNN)";
    reports[1].seconds = (selection.scoring_ms - selection.neighbours_ms) / 1000;
    reports[1].peak_mib = peak;
    reports[1].note = "no external reference: O(N C D) plus the kNN sums";
    reports[2].step = "selection of 500 (lazy greedy)";
    reports[2].seconds = selection.greedy_ms / 1000;
    reports[2].peak_mib = peak;

    // Reference for the kNN: scikit-learn's brute force and faiss's exact index on a sample of
    // queries, scaled to all N rows (their cost is linear in the queries).
    std::istringstream knn(bench::run_python("tests/bench/knn_reference.py",
                                             arguments({features_file.string(), std::to_string(rows),
                                                        std::to_string(kDimensions), "20",
                                                        std::to_string(std::min(rows, kKnnReferenceQueries))})));
    double sklearn_s = 0, faiss_s = 0;
    if (knn >> sklearn_s >> faiss_s) {
        const double scale = static_cast<double>(rows) / static_cast<double>(std::min(rows, kKnnReferenceQueries));
        reports[0].reference = "scikit-learn brute force, exact (from " + std::to_string(std::min(rows, kKnnReferenceQueries)) + " queries)";
        reports[0].reference_seconds = sklearn_s * scale;
        char note[160];
        std::snprintf(note, sizeof note, "faiss IndexFlatL2 %.1f s (ratio %.2f)", faiss_s * scale, faiss_s * scale / reports[0].seconds);
        reports[0].note = note;
    }
    // Reference for the greedy: the plain recomputation (Algorithm 1 as written) on its first
    // picks, extrapolated by its O(N m D) cost at step m (bench_value_mining's method).
    constexpr int kPrefix = 20;
    auto params = miner.params();
    params.greedy = GreedyMethod::recompute;
    miner.set_params(params);
    const auto plain = require(miner.select(data.points, data.centres, kPrefix), "plain greedy");
    const double scale = (static_cast<double>(kPicks) * (kPicks - 1)) / (static_cast<double>(kPrefix) * (kPrefix - 1));
    reports[2].reference = "plain greedy recomputation (first 20 picks, extrapolated)";
    reports[2].reference_seconds = plain.greedy_ms * scale / 1000;
    bool same = true;
    for (int i = 0; i < kPrefix; ++i) same = same && plain.picks[static_cast<std::size_t>(i)].sample == selection.picks[static_cast<std::size_t>(i)].sample;
    reports[2].note = same ? "same first 20 picks" : "FIRST PICKS DIFFER";
    return reports;
}

StepReport kmeans_step(const FloatMatrix& points, const fs::path& features_file) {
    StepReport report;
    report.step = "k-means (K = 10, 3 restarts)";
    report.loaded = machine_loaded();
    bench::reset_peak_resident();
    KMeansParams params;
    params.clusters = kClusters;
    Stopwatch watch;
    const auto result = require(run_kmeans(points, params), "k-means");
    report.seconds = watch.elapsed_ms() / 1000;
    report.peak_mib = bench::step_peak_resident_mib();
    std::istringstream reference(bench::run_python(
        "tests/bench/kmeans_reference.py",
        arguments({features_file.string(), std::to_string(points.rows()), std::to_string(points.cols()), "10", "3", "0"})));
    double seconds = 0, inertia = 0;
    if (reference >> seconds >> inertia) {
        report.reference = "scikit-learn KMeans (Lloyd, n_init = 3)";
        report.reference_seconds = seconds;
        char note[96];
        std::snprintf(note, sizeof note, "inertia ours / sklearn %.5f", result.inertia / inertia);
        report.note = note;
    }
    return report;
}

StepReport tsne_step(const FloatMatrix& points) {
    StepReport report;
    report.loaded = machine_loaded();
    const TsneParams params;  // the app's map: PCA to 50, perplexity 30, 750 iterations
    bench::reset_peak_resident();
    const auto result = require(run_tsne(points, params), "t-SNE");
    report.seconds = result.timings.total_ms / 1000;
    report.peak_mib = bench::step_peak_resident_mib();
    report.step = std::string("t-SNE (") +
                  std::string(knn_method_name(resolve_knn_method(KnnMethod::automatic, points.rows()))) + " kNN)";
    char note[200];
    std::snprintf(note, sizeof note, "PCA %.1f s, kNN %.1f s, P %.1f s, descent %.1f s; KL %.4f",
                  result.timings.pca_ms / 1000, result.timings.neighbours_ms / 1000, result.timings.affinities_ms / 1000,
                  result.timings.optimisation_ms / 1000, result.kl_divergence);
    report.note = note;
    // Reference: scikit-learn's Barnes-Hut t-SNE on the first points, scaled by N log N.
    const std::int64_t sample = std::min(points.rows(), kTsneReferencePoints);
    std::vector<std::int64_t> first(static_cast<std::size_t>(sample));
    for (std::int64_t i = 0; i < sample; ++i) first[static_cast<std::size_t>(i)] = i;
    const auto subset = points.select_rows(first);
    const auto scratch = fs::temp_directory_path() / "corral_bench_scaling_tsne.f32";
    write_floats(scratch, subset);
    std::istringstream reference(bench::run_python(
        "tests/bench/tsne_reference.py", arguments({scratch.string(), std::to_string(sample), std::to_string(points.cols())})));
    fs::remove(scratch);
    double seconds = 0;
    if (reference >> seconds) {
        const double n = static_cast<double>(points.rows()), m = static_cast<double>(sample);
        report.reference = "scikit-learn TSNE Barnes-Hut (" + std::to_string(sample) + " points, N log N beyond)";
        report.reference_seconds = seconds * (n * std::log(n)) / (m * std::log(m));
    }
    return report;
}

StepReport head_step(const bench::SyntheticFeatures& data, const fs::path& features_file) {
    StepReport report;
    report.step = "cluster head: one epoch over all N, then predict all";
    report.loaded = machine_loaded();
    FeedbackTrainerParams params;
    params.clusters = kClusters;
    params.initial_fit_epochs = 1;
    params.initial_fit_min_steps = 1;
    FeedbackTrainer trainer(params);
    // Labels of the planted clusters (the nearest centre), so agreement means something.
    std::vector<int> labels(static_cast<std::size_t>(data.points.rows()));
    for (std::int64_t r = 0; r < data.points.rows(); ++r) {
        double best = 1e300;
        for (int k = 0; k < kClusters; ++k) {
            double distance = 0.0;
            for (std::int64_t d = 0; d < data.points.cols(); ++d) {
                const double difference = data.points(r, d) - data.centres(k, d);
                distance += difference * difference;
            }
            if (distance < best) best = distance, labels[static_cast<std::size_t>(r)] = k;
        }
    }
    std::mt19937 rng(3);
    bench::reset_peak_resident();
    Stopwatch watch;
    require(trainer.fit_initial(data.points, labels), "head epoch");
    report.seconds = watch.elapsed_ms() / 1000;
    report.peak_mib = bench::step_peak_resident_mib();
    // The fine-tuning epoch of a round (500 answers: 5 steps) with its prediction over all N.
    std::vector<Answer> answers;
    for (int i = 0; i < kPicks; ++i) {
        const auto sample = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(data.points.rows()));
        answers.push_back(Answer::positive(sample, labels[static_cast<std::size_t>(sample)]));
    }
    params.epochs = 1;
    require(trainer.set_params(params), "head settings");
    Stopwatch tune_watch;
    require(trainer.fine_tune(data.points, answers), "head fine-tuning");
    const double tune_s = tune_watch.elapsed_ms() / 1000;
    // The app's fit of a new clustering: the default epochs, capped in steps.
    FeedbackTrainerParams app_params;
    app_params.clusters = kClusters;
    FeedbackTrainer app_trainer(app_params);
    Stopwatch fit_watch;
    const auto fitted = require(app_trainer.fit_initial(data.points, labels), "the app's head fit");
    std::int64_t agree = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) agree += fitted.assignment[i] == labels[i];
    char note[240];
    std::snprintf(note, sizeof note,
                  "a round's fine-tuning epoch (500 answers) with its prediction: %.2f s; the app's fit (%lld steps): %.1f s, "
                  "agrees with the clustering on %.2f %%",
                  tune_s, static_cast<long long>(initial_fit_steps(app_params, data.points.rows())), fit_watch.elapsed_ms() / 1000,
                  100.0 * static_cast<double>(agree) / static_cast<double>(labels.size()));
    report.note = note;
    std::istringstream reference(bench::run_python(
        "tests/bench/head_epoch_reference.py",
        arguments({features_file.string(), std::to_string(data.points.rows()), std::to_string(data.points.cols()), "10",
                   std::to_string(std::max(1u, std::thread::hardware_concurrency()))})));
    double seconds = 0;
    if (reference >> seconds) {
        report.reference = "the same head in plain PyTorch (python3-torch)";
        report.reference_seconds = seconds;
    }
    return report;
}

// The floor of a project's I/O: reading `images` 28x28 images and writing and syncing their
// 128-dimensional float32 features, as plain file operations.
double raw_io_seconds(const fs::path& images_file, std::int64_t images) {
    Stopwatch watch;
    std::vector<char> buffer(static_cast<std::size_t>(images) * 784);
    std::ifstream(images_file, std::ios::binary).read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto scratch = fs::temp_directory_path() / "corral_bench_scaling_io.f32";
    {
        std::vector<float> features(static_cast<std::size_t>(images) * 128, 0.5f);
        std::ofstream out(scratch, std::ios::binary);
        out.write(reinterpret_cast<const char*>(features.data()), static_cast<std::streamsize>(features.size() * 4));
    }
    std::FILE* file = std::fopen(scratch.c_str(), "rb+");
    if (file) {
        (void)fsync(fileno(file));
        std::fclose(file);
    }
    fs::remove(scratch);
    return watch.elapsed_ms() / 1000;
}

std::vector<StepReport> project_steps(const fs::path& images_dir, std::int64_t images) {
    std::vector<StepReport> reports(2);
    SessionSettings settings;
    settings.dataset_spec = "idx:" + (images_dir / "images-idx3-ubyte").string() + "," + (images_dir / "labels-idx1-ubyte").string();
    settings.encoder_spec = "pixels";
    settings.clusters = kClusters;
    const auto folder = fs::temp_directory_path() / ("corral_bench_scaling_" + std::to_string(images) + ".corral");
    std::error_code ignored;
    fs::remove_all(folder, ignored);
    const double floor_s = raw_io_seconds(images_dir / "images-idx3-ubyte", images);

    reports[0].step = "project creation (pixels encoder, k-means, head, first round)";
    reports[0].loaded = machine_loaded();
    bench::reset_peak_resident();
    Stopwatch watch;
    {
        auto session = require(InteractiveSession::create(folder, settings, {}), "project creation");
        reports[0].seconds = watch.elapsed_ms() / 1000;
    }
    reports[0].peak_mib = bench::step_peak_resident_mib();
    reports[1].step = "project reopen (features, clustering, open round)";
    reports[1].loaded = machine_loaded();
    bench::reset_peak_resident();
    watch.restart();
    {
        auto session = require(InteractiveSession::open(folder, {}), "project reopen");
        reports[1].seconds = watch.elapsed_ms() / 1000;
    }
    reports[1].peak_mib = bench::step_peak_resident_mib();
    for (auto& report : reports) {
        report.reference = "plain I/O floor: read the images, write and sync N x 128 floats";
        report.reference_seconds = floor_s;
    }
    fs::remove_all(folder, ignored);
    return reports;
}

bool wants(const std::set<std::string>& steps, const std::string& step) { return steps.empty() || steps.count(step) > 0; }

}  // namespace

int main(int argc, char* argv[]) {
    configure_runtime();
    std::vector<std::int64_t> sizes;
    std::set<std::string> steps;
    fs::path images_dir = "/tmp/corral-scaling-images";
    for (int a = 1; a < argc; ++a) {
        const std::string argument = argv[a];
        if (argument == "--steps" && a + 1 < argc) {
            std::stringstream list(argv[++a]);
            for (std::string step; std::getline(list, step, ',');) steps.insert(step);
        } else if (argument == "--images" && a + 1 < argc) {
            images_dir = argv[++a];
        } else {
            sizes.push_back(std::atoll(argv[a]));
        }
    }
    if (sizes.empty()) sizes = {10000, 100000, 1000000};
    std::printf("bench_scaling: %s\n%s\n\n", bench::machine_summary().c_str(), runtime_summary().c_str());
    std::printf("| N | step | ours | peak RSS of the step | reference | reference time | reference / ours | notes |\n");
    std::printf("|---|---|---|---|---|---|---|---|\n");
    for (const auto rows : sizes) {
        const auto features_file = fs::temp_directory_path() / "corral_bench_scaling.f32";
        {
            const auto data = bench::make_synthetic_features(rows, kDimensions, kClusters);
            write_floats(features_file, data.points);
            if (wants(steps, "knn")) {
                for (const auto& report : selection_steps(data, features_file)) print(rows, report);
            }
            if (wants(steps, "kmeans")) print(rows, kmeans_step(data.points, features_file));
            if (wants(steps, "head")) print(rows, head_step(data, features_file));
            if (wants(steps, "tsne")) print(rows, tsne_step(data.points));
        }
        fs::remove(features_file);
        if (wants(steps, "project")) {
            // A collection of exactly N images (a sample of a larger one would read the larger file).
            const auto collection = images_dir / std::to_string(rows);
            if (!fs::exists(collection / "images-idx3-ubyte")) {
                bench::run_python("tests/bench/make_packed_dataset.py", arguments({std::to_string(rows), collection.string()}));
            }
            for (const auto& report : project_steps(collection, rows)) print(rows, report);
        }
    }
    return 0;
}
