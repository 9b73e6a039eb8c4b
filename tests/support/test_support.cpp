#include "test_support.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace corral::testing {

namespace fs = std::filesystem;

fs::path source_dir() { return CORRAL_SOURCE_DIR; }

fs::path shared_dir() {
    if (const char* path = std::getenv("CORRAL_SHARED_DIR")) return path;
    return fs::path(CORRAL_SHARED_DIR);
}

TempDir::TempDir() {
    std::random_device device;
    for (int attempt = 0; attempt < 100; ++attempt) {
        path_ = fs::temp_directory_path() / ("corral-test-" + std::to_string(device()));
        if (fs::create_directory(path_)) return;
    }
    throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
    std::error_code ignored;
    // Tests may leave read-only folders behind; make them writable so they can be removed.
    for (auto it = fs::recursive_directory_iterator(path_, ignored); it != fs::recursive_directory_iterator();
         it.increment(ignored)) {
        fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ignored);
    }
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ignored);
    fs::remove_all(path_, ignored);
}

namespace {

std::string quote(const std::string& argument) {
    std::string quoted = "'";
    for (char c : argument) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

}  // namespace

std::string run_python_oracle(const std::string& script, const std::vector<std::string>& arguments) {
    TempDir scratch;
    std::string command = "/usr/bin/python3 " + quote((source_dir() / "tests" / "oracles" / script).string());
    for (const auto& argument : arguments) command += " " + quote(argument);
    command += " 2>" + quote((scratch / "stderr").string());
    std::string output;
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) throw std::runtime_error("cannot start " + command);
    std::array<char, 4096> buffer{};
    while (std::size_t read = std::fread(buffer.data(), 1, buffer.size(), pipe)) output.append(buffer.data(), read);
    const int status = pclose(pipe);
    if (status != 0) {
        throw std::runtime_error("oracle " + script + " failed (status " + std::to_string(status) +
                                 "):\n" + read_file(scratch / "stderr"));
    }
    return output;
}

void write_floats(const fs::path& path, const FloatMatrix& matrix) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(matrix.data()), static_cast<std::streamsize>(matrix.values().size() * 4));
}

void write_ints(const fs::path& path, const std::vector<int>& values) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * 4));
}

std::vector<double> parse_doubles(const std::string& text) {
    std::istringstream in(text);
    std::vector<double> values;
    for (double value; in >> value;) values.push_back(value);
    return values;
}

void write_file(const fs::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

}  // namespace corral::testing
