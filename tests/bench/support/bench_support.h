#pragma once
// Shared by the benchmark programs: timing, machine description, and the Python reference.
#include <string>

namespace corral::bench {

// "2 cores, Intel ..., 24 GiB" from /proc, then load_summary()'s line.
std::string machine_summary();
// The 1-minute load average from /proc/loadavg (-1 when unreadable).
double load_average();
// One line: the load average, or a WARNING when it exceeds the core count (figures measured
// then are upper bounds).
std::string load_summary();
// The process's peak resident memory so far, in MiB (getrusage).
double peak_resident_mib();
// Per-step peaks: reset_peak_resident() lowers the kernel's high-water mark (VmHWM) to the
// current resident size (Linux >= 4.0, /proc/self/clear_refs); step_peak_resident_mib() reads
// it. Returns false (and the step peak falls back to the process peak) where that is refused.
bool reset_peak_resident();
double step_peak_resident_mib();
// Runs tests/oracles/SCRIPT (or tests/bench/SCRIPT) with Debian's python3; returns stdout,
// or an empty string (and a note on stderr) when it fails.
std::string run_python(const std::string& script_path, const std::string& arguments);
std::string source_dir();

}  // namespace corral::bench
