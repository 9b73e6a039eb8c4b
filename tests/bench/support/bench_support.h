#pragma once
// Shared by the benchmark programs: timing, machine description, and the Python reference.
#include <string>

namespace corral::bench {

// "2 cores, Intel ..., 24 GiB" from /proc.
std::string machine_summary();
// Runs tests/oracles/SCRIPT (or tests/bench/SCRIPT) with Debian's python3; returns stdout,
// or an empty string (and a note on stderr) when it fails.
std::string run_python(const std::string& script_path, const std::string& arguments);
std::string source_dir();

}  // namespace corral::bench
