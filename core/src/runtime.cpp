#include "corral/core/runtime.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace corral {

void configure_runtime(const RuntimeSettings& settings) {
    const int threads = settings.threads > 0 ? settings.threads
                                             : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(threads);
    // Inter-op threads can only be set once per process, before any inter-op work.
    static const bool interop_configured = [threads] {
        try {
            torch::set_num_interop_threads(std::max(1, threads / 2));
        } catch (const c10::Error&) {
        }
        return true;
    }();
    (void)interop_configured;
}

std::string compute_device_name() { return torch::cuda::is_available() ? "cuda" : "cpu"; }

std::string runtime_summary() {
    std::string blas = "unknown";
    if (const char* core = std::getenv("OPENBLAS_CORETYPE")) blas = std::string("OpenBLAS (core ") + core + ")";
    else blas = "OpenBLAS";
    return "torch " + std::string(TORCH_VERSION) + ", " + std::to_string(torch::get_num_threads()) + " threads, " +
           compute_device_name() + ", " + blas + ", " + std::to_string(std::thread::hardware_concurrency()) +
           " hardware threads";
}

}  // namespace corral
