#pragma once
// Process-wide compute settings. LibTorch defaults to one thread; call configure_runtime once
// at start-up (both executables do) so that GEMMs use every core.
#include <string>

namespace corral {

struct RuntimeSettings {
    int threads = 0;  // 0 = one per hardware thread
};

void configure_runtime(const RuntimeSettings& settings = {});

// "cuda" when LibTorch sees a GPU, else "cpu".
std::string compute_device_name();
// One line for logs and benchmarks: torch version, threads, device, BLAS.
std::string runtime_summary();

}  // namespace corral
