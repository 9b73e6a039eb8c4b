// CLIP image tower throughput on this machine: a random-weight CLIP of the chosen shape (default
// ViT-B/32 at 224 px; no real weights are needed for speed), batched float32 inference, its
// GFLOP/s next to a plain large sgemm (torch::mm) measured in the same run, bf16 speed and its
// cosine to float32, and the whole encoder (decode + preprocess + network) through core.
// Usage: bench_clip [--shape B/32|B/16|L/14] [--batch 32] [--threads N] [--images 128]
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "bench_support.h"
#include "corral/core/dataset.h"
#include "corral/core/encoder.h"
#include "corral/core/runtime.h"
#include "corral/models/clip_model.h"

using namespace corral;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Best of `repeats` timings of a large square sgemm: the machine's practical float32 GEMM rate.
double sgemm_gflops(std::int64_t n, int repeats) {
    auto a = torch::randn({n, n});
    auto b = torch::randn({n, n});
    auto c = torch::mm(a, b);  // warm-up
    double best = 1e30;
    for (int r = 0; r < repeats; ++r) {
        const auto start = Clock::now();
        c = torch::mm(a, b);
        best = std::min(best, seconds_since(start));
    }
    return 2.0 * n * n * n / best / 1e9;
}

// Images per second of model->encode_image on random pixels, after one warm-up batch.
double images_per_second(models::ClipModel& model, torch::ScalarType type, std::int64_t batch, std::int64_t images,
                         torch::Tensor* output) {
    const auto size = model->config().vision.image_size;
    auto pixels = torch::randn({batch, 3, size, size}).to(type);
    *output = model->encode_image(pixels).to(torch::kFloat32);
    const auto start = Clock::now();
    std::int64_t done = 0;
    while (done < images) {
        model->encode_image(pixels);
        done += batch;
    }
    return static_cast<double>(done) / seconds_since(start);
}

}  // namespace

int main(int argc, char* argv[]) {
    std::string shape = "B/32";
    std::int64_t batch = 32;
    std::int64_t images = 128;
    int threads = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--shape")) shape = argv[i + 1];
        else if (!std::strcmp(argv[i], "--batch")) batch = std::stoll(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--threads")) threads = std::stoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--images")) images = std::stoll(argv[i + 1]);
    }
    std::setvbuf(stdout, nullptr, _IONBF, 0);
    configure_runtime({threads});
    torch::InferenceMode inference;
    torch::manual_seed(0);
    std::printf("machine: %s\nruntime: %s\n", bench::machine_summary().c_str(), runtime_summary().c_str());

    const auto config = models::ClipConfig::preset(shape);
    models::ClipModel model(config);
    model->eval();
    const double flops = config.image_flops();
    std::printf("model: ViT-%s at %lld px, %.2f GFLOP per image (%.2f G multiply-adds), batch %lld, %d threads\n",
                shape.c_str(), static_cast<long long>(config.vision.image_size), flops / 1e9, flops / 2e9,
                static_cast<long long>(batch), torch::get_num_threads());

    const double gemm = sgemm_gflops(2048, 5);
    std::printf("reference sgemm (torch::mm 2048x2048x2048, best of 5): %.1f GFLOP/s\n", gemm);

    torch::Tensor reference;
    const double fp32_rate = images_per_second(model, torch::kFloat32, batch, images, &reference);
    const double fp32_gflops = fp32_rate * flops / 1e9;
    std::printf("float32 image tower: %.2f images/s = %.1f GFLOP/s = %.0f%% of the sgemm rate\n", fp32_rate, fp32_gflops,
                100.0 * fp32_gflops / gemm);

    models::ClipModel model_bf16(config);
    model_bf16->eval();
    {
        auto source = model->named_parameters(true);
        for (auto& item : model_bf16->named_parameters(true)) item.value().copy_(source[item.key()]);
    }
    model_bf16->to(torch::kBFloat16);
    // Two images, timed once: without native bf16 instructions this CPU runs bf16 many times
    // slower, and a few images suffice to show it and to measure the cosine.
    torch::manual_seed(0);
    const auto pixels = torch::randn({2, 3, config.vision.image_size, config.vision.image_size});
    const auto exact = model->encode_image(pixels);
    const auto bf16_start = Clock::now();
    const auto approximate = model_bf16->encode_image(pixels.to(torch::kBFloat16)).to(torch::kFloat32);
    const double bf16_rate = 2.0 / seconds_since(bf16_start);
    const double cosine = torch::cosine_similarity(exact, approximate, 1).min().item<double>();
    std::printf("bfloat16 image tower: %.2f images/s (%.2fx float32), min cosine to float32 %.5f\n", bf16_rate,
                bf16_rate / fp32_rate, cosine);

    // The whole encoder through core: decode, bicubic resize 28 -> 224, crop, normalise, network.
    const auto folder = std::filesystem::temp_directory_path() / ("corral-bench-clip-" + std::to_string(::getpid()));
    std::filesystem::create_directories(folder);
    {
        FILE* file = std::fopen((folder / "config.json").c_str(), "w");
        std::fprintf(file, R"({"projection_dim": %lld, "vision_config": {"hidden_size": %lld, "intermediate_size": %lld,
            "num_hidden_layers": %lld, "num_attention_heads": %lld, "patch_size": %lld, "image_size": %lld},
            "text_config": {"hidden_size": %lld, "intermediate_size": %lld, "num_attention_heads": %lld}})",
                     static_cast<long long>(config.projection_dim), static_cast<long long>(config.vision.hidden_size),
                     static_cast<long long>(config.vision.intermediate_size), static_cast<long long>(config.vision.layers),
                     static_cast<long long>(config.vision.heads), static_cast<long long>(config.vision.patch_size),
                     static_cast<long long>(config.vision.image_size), static_cast<long long>(config.text.hidden_size),
                     static_cast<long long>(config.text.intermediate_size), static_cast<long long>(config.text.heads));
        std::fclose(file);
        std::map<std::string, torch::Tensor> tensors;
        for (const auto& item : model->named_parameters(true)) tensors[item.key()] = item.value();
        models::write_safetensors(folder / "model.safetensors", tensors);
    }
    auto encoder = create_image_encoder("clip:" + folder.string());
    DatasetOptions options;
    options.limit = images;
    auto dataset = open_dataset("fashion-mnist:test", options);
    if (encoder && dataset) {
        const auto start = Clock::now();
        auto features = (*encoder)->encode(**dataset, {});
        const double elapsed = seconds_since(start);
        if (features) {
            std::printf("whole encoder on %lld Fashion-MNIST images: %.2f images/s (%.0f%% of the network alone)\n",
                        static_cast<long long>(features->rows()), features->rows() / elapsed,
                        100.0 * features->rows() / elapsed / fp32_rate);
        } else {
            std::printf("whole encoder failed: %s\n", features.error().describe().c_str());
        }
    } else {
        std::printf("whole encoder skipped: %s\n",
                    (encoder ? dataset.error() : encoder.error()).describe().c_str());
    }
    std::filesystem::remove_all(folder);
    return 0;
}
