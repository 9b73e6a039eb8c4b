#pragma once
// Helpers shared by the Catch2 suites: folders, temporary directories, and the Python oracles
// (Debian's /usr/bin/python3 with sklearn and torch) that numerics are checked against.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "corral/core/matrix.h"

namespace corral::testing {

std::filesystem::path source_dir();
// ../shared next to the checkout (CORRAL_SHARED_DIR overrides).
std::filesystem::path shared_dir();

// A fresh directory under the system temp folder, removed with everything in it on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

// Runs tests/oracles/SCRIPT with Debian's python3 and the given arguments; returns stdout.
// Throws std::runtime_error with the script's stderr when it fails.
std::string run_python_oracle(const std::string& script, const std::vector<std::string>& arguments);

// Raw little-endian binary files the oracles read with numpy.fromfile.
void write_floats(const std::filesystem::path& path, const FloatMatrix& matrix);
void write_ints(const std::filesystem::path& path, const std::vector<int>& values);
std::vector<double> parse_doubles(const std::string& text);  // whitespace-separated numbers

void write_file(const std::filesystem::path& path, const std::string& bytes);
std::string read_file(const std::filesystem::path& path);

}  // namespace corral::testing
