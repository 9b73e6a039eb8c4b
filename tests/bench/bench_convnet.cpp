// Throughput of the embedded convnet on this machine: training (augmented views through forward
// and backward, CC losses, Adam) and encoding (inference), in images per second, on a
// Fashion-MNIST subset. The reference is the same network and losses in PyTorch (Python), same
// threads, on ready-made random batches (no augmentation, no data loading).
// Usage: bench_convnet [images=4096] [widths=16,32,64] [batch=128] [threads=0 (all cores)]
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <unistd.h>

#include "bench_support.h"
#include "corral/core/convnet.h"
#include "corral/core/dataset.h"
#include "corral/core/runtime.h"
#include "corral/core/job.h"

using namespace corral;

int main(int argc, char* argv[]) {
    const int requested_threads = argc > 4 ? std::atoi(argv[4]) : 0;
    configure_runtime({requested_threads});
    const long long images = argc > 1 ? std::atoll(argv[1]) : 4096;
    const std::string widths_text = argc > 2 ? argv[2] : "16,32,64";
    const int batch = argc > 3 ? std::atoi(argv[3]) : 128;
    const char* openblas_threads = std::getenv("OPENBLAS_NUM_THREADS");
    const char* omp_threads = std::getenv("OMP_NUM_THREADS");
    std::printf("machine: %s\nruntime: %s\nOPENBLAS_NUM_THREADS=%s OMP_NUM_THREADS=%s\n", bench::machine_summary().c_str(),
                runtime_summary().c_str(), openblas_threads ? openblas_threads : "(unset)",
                omp_threads ? omp_threads : "(unset)");

    DatasetOptions options;
    options.limit = images;
    auto dataset = open_dataset("fashion-mnist", options);
    if (!dataset) {
        std::fprintf(stderr, "%s\n", dataset.error().describe().c_str());
        return 1;
    }
    ConvnetTrainingParams params;
    params.output_folder = std::filesystem::temp_directory_path() / ("corral-bench-convnet-" + std::to_string(::getpid()));
    params.epochs = 1;
    params.images_per_epoch = 0;
    params.batch_size = batch;
    params.resume = false;
    params.widths.clear();
    for (std::size_t begin = 0; begin < widths_text.size();) {
        const auto end = widths_text.find(',', begin);
        params.widths.push_back(std::stoi(widths_text.substr(begin, end - begin)));
        begin = end == std::string::npos ? widths_text.size() : end + 1;
    }
    auto report = train_convnet(**dataset, params);
    if (!report) {
        std::fprintf(stderr, "%s\n", report.error().describe().c_str());
        return 1;
    }
    Stopwatch watch;
    auto prediction = predict_with_convnet(params.output_folder, **dataset);
    const double encode_ms = watch.elapsed_ms();
    std::filesystem::remove_all(params.output_folder);
    if (!prediction) return 1;
    const double encode_rate = static_cast<double>((*dataset)->size()) / (encode_ms / 1000.0);

    const int steps = std::max<int>(2, static_cast<int>(images / batch / 2));
    const unsigned threads =
        requested_threads > 0 ? static_cast<unsigned>(requested_threads) : std::max(1u, std::thread::hardware_concurrency());
    const auto reference = bench::run_python("tests/bench/convnet_reference.py",
                                             widths_text + " " + std::to_string(batch) + " " + std::to_string(steps) +
                                                 " " + std::to_string(threads) + " 10");
    double reference_train = 0.0, reference_encode = 0.0;
    std::sscanf(reference.c_str(), "%lf %lf", &reference_train, &reference_encode);
    std::printf("convnet widths %s, batch %d, %lld Fashion-MNIST images (28 px)\n", widths_text.c_str(), batch,
                static_cast<long long>((*dataset)->size()));
    std::printf("training:  %8.1f images/s (Corral, with augmentation)   %8.1f images/s (PyTorch reference, no augmentation)\n",
                report->images_per_second, reference_train);
    std::printf("encoding:  %8.1f images/s (Corral, with decoding)       %8.1f images/s (PyTorch reference, backbone only)\n",
                encode_rate, reference_encode);
    std::printf("one epoch of 70000 images (140000 views) would take %.0f s\n", 140000.0 / report->images_per_second);
    return 0;
}
