#include "bench_support.h"

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
           std::to_string(memory_kb / 1024 / 1024) + " GiB";
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
