#include "bench_support.h"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

namespace corral::bench {

std::string source_dir() { return CORRAL_SOURCE_DIR; }

std::string machine_summary() {
    std::string cpu = "unknown CPU";
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);) {
        if (line.rfind("model name", 0) == 0) {
            cpu = line.substr(line.find(':') + 2);
            break;
        }
    }
    long long memory_kb = 0;
    std::ifstream meminfo("/proc/meminfo");
    for (std::string key; meminfo >> key;) {
        if (key == "MemTotal:") { meminfo >> memory_kb; break; }
    }
    return std::to_string(std::thread::hardware_concurrency()) + " cores, " + cpu + ", " +
           std::to_string(memory_kb / 1024 / 1024) + " GiB\n" + load_summary();
}

double load_average() {
    double one_minute = -1.0;
    std::ifstream loadavg("/proc/loadavg");
    loadavg >> one_minute;
    return one_minute;
}

std::string load_summary() {
    const double load = load_average();
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    char line[200];
    if (load > cores) {
        std::snprintf(line, sizeof line,
                      "WARNING: load average %.2f exceeds the %u cores: other work shares the machine, so the "
                      "figures below are upper bounds (ratios to the same run's references still hold)",
                      load, cores);
    } else {
        std::snprintf(line, sizeof line, "load average %.2f on %u cores (idle enough to measure)", load, cores);
    }
    return line;
}

double peak_resident_mib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

bool reset_peak_resident() {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
    clear.flush();
    return static_cast<bool>(clear);
}

double step_peak_resident_mib() {
    std::ifstream status("/proc/self/status");
    for (std::string key; status >> key;) {
        if (key == "VmHWM:") {
            double kib = 0.0;
            status >> kib;
            return kib / 1024.0;
        }
    }
    return peak_resident_mib();
}

std::string run_python(const std::string& script_path, const std::string& arguments) {
    const std::string command = "/usr/bin/python3 " + source_dir() + "/" + script_path + " " + arguments;
    std::string output;
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) return {};
    std::array<char, 4096> buffer{};
    while (std::size_t read = std::fread(buffer.data(), 1, buffer.size(), pipe)) output.append(buffer.data(), read);
    if (pclose(pipe) != 0) {
        std::cerr << "reference failed: " << command << "\n";
        return {};
    }
    return output;
}

}  // namespace corral::bench
