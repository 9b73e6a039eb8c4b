// Embeddings are memory-mapped from the project: a loaded matrix reads the file, behaves as a
// value (writes copy it), survives the file being replaced, and costs no anonymous memory.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <utility>

#include "corral/core/matrix.h"
#include "corral/core/project.h"
#include "test_support.h"

namespace {

using namespace corral;
using corral::testing::TempDir;
namespace fs = std::filesystem;

// Rows of unit length, as the session keeps them; 4 MiB, above the mapping threshold.
FloatMatrix unit_features(std::int64_t rows, std::int64_t cols, std::uint32_t seed) {
    FloatMatrix features(rows, cols);
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal;
    for (auto& value : features.values()) value = normal(rng);
    normalize_rows(features);
    return features;
}

std::unique_ptr<Project> make_project(const fs::path& folder) {
    auto project = Project::open_or_create(folder);
    REQUIRE(project);
    return std::move(*project);
}

fs::path embeddings_file(Project& project) {
    auto encoders = project.encoders();
    REQUIRE(encoders);
    REQUIRE(encoders->size() == 1);
    return project.folder() / encoders->at(0).file;
}

// Anonymous resident memory of this process (heap, not file pages), in MiB.
double anonymous_resident_mib() {
    std::ifstream status("/proc/self/status");
    std::string key;
    while (status >> key) {
        if (key == "RssAnon:") {
            double kib = 0;
            status >> kib;
            return kib / 1024.0;
        }
        status.ignore(1 << 12, '\n');
    }
    FAIL("no RssAnon in /proc/self/status");
    return 0;
}

}  // namespace

TEST_CASE("loaded embeddings share a mapping of the file and copy on the first write", "[unit][matrix]") {
    TempDir scratch;
    auto project = make_project(scratch / "mapped.corral");
    const auto features = unit_features(8192, 128, 1);
    REQUIRE(project->store_embeddings("convnet-test", features));

    auto loaded = project->load_embeddings("convnet-test");
    REQUIRE(loaded);
    CHECK(loaded->is_mapped());
    CHECK(*loaded == features);

    FloatMatrix copy = *loaded;  // copies share the mapping
    CHECK(copy.is_mapped());
    CHECK(std::as_const(copy).data() == std::as_const(*loaded).data());

    normalize_rows(copy);  // unit rows already: nothing to write, still mapped
    CHECK(copy.is_mapped());

    copy(3, 5) = 42.0f;
    CHECK_FALSE(copy.is_mapped());
    CHECK(copy(3, 5) == 42.0f);
    CHECK((*loaded)(3, 5) == features(3, 5));  // the other matrix and the file are untouched
    CHECK(*project->load_embeddings("convnet-test") == features);
}

TEST_CASE("a mapped matrix keeps its values when the project replaces the file", "[unit][matrix]") {
    TempDir scratch;
    auto project = make_project(scratch / "replaced.corral");
    const auto first = unit_features(8192, 64, 2);
    const auto second = unit_features(8192, 64, 3);
    REQUIRE(project->store_embeddings("pixels-test", first));
    auto old = project->load_embeddings("pixels-test");
    REQUIRE(old);
    REQUIRE(old->is_mapped());

    REQUIRE(project->store_embeddings("pixels-test", second));
    CHECK(*old == first);  // the old inode stays mapped
    CHECK(*project->load_embeddings("pixels-test") == second);
}

TEST_CASE("a damaged mapped file is refused", "[unit][matrix]") {
    TempDir scratch;
    auto project = make_project(scratch / "damaged.corral");
    REQUIRE(project->store_embeddings("pixels-test", unit_features(8192, 64, 4)));
    const auto file = embeddings_file(*project);

    SECTION("a flipped byte in the contents") {
        std::string bytes = corral::testing::read_file(file);
        bytes[bytes.size() - 1000] ^= 0x01;
        corral::testing::write_file(file, bytes);
        auto loaded = project->load_embeddings("pixels-test");
        REQUIRE_FALSE(loaded);
        CHECK(loaded.error().code == ErrorCode::corrupt_data);
        CHECK_THAT(loaded.error().message, Catch::Contains("checksum"));
    }
    SECTION("a truncated file") {
        fs::resize_file(file, fs::file_size(file) / 2);
        auto loaded = project->load_embeddings("pixels-test");
        REQUIRE_FALSE(loaded);
        CHECK(loaded.error().code == ErrorCode::corrupt_data);
        CHECK_THAT(loaded.error().message, Catch::Contains("truncated"));
    }
}

TEST_CASE("rows that are not unit are normalised into owned storage, the file untouched", "[unit][matrix]") {
    TempDir scratch;
    auto project = make_project(scratch / "scaled.corral");
    auto features = unit_features(8192, 64, 5);
    for (auto& value : features.values()) value *= 3.0f;
    REQUIRE(project->store_embeddings("pixels-test", features));
    auto loaded = project->load_embeddings("pixels-test");
    REQUIRE(loaded);
    REQUIRE(loaded->is_mapped());
    normalize_rows(*loaded);
    CHECK_FALSE(loaded->is_mapped());
    double squared = 0;
    for (float v : loaded->row(17)) squared += static_cast<double>(v) * v;
    CHECK(squared == Approx(1.0).epsilon(1e-6));
    CHECK(*project->load_embeddings("pixels-test") == features);
}

TEST_CASE("small matrices are read, not mapped; empty ones too", "[unit][matrix]") {
    TempDir scratch;
    auto project = make_project(scratch / "small.corral");
    const auto small = unit_features(20, 8, 6);
    REQUIRE(project->store_embeddings("small", small));
    auto loaded = project->load_embeddings("small");
    REQUIRE(loaded);
    CHECK_FALSE(loaded->is_mapped());
    CHECK(*loaded == small);
    REQUIRE(project->store_embeddings("empty", FloatMatrix(0, 8)));
    auto empty = project->load_embeddings("empty");
    REQUIRE(empty);
    CHECK(empty->rows() == 0);
    CHECK(empty->cols() == 8);
}

TEST_CASE("loading 200 MB of embeddings costs no anonymous memory", "[unit][matrix]") {
    TempDir scratch;
    auto project = make_project(scratch / "large.corral");
    {
        FloatMatrix features(100'000, 512, 0.0f);
        for (std::int64_t r = 0; r < features.rows(); ++r) features(r, r % 512) = 1.0f;
        REQUIRE(project->store_embeddings("large", features));
    }
    const double before_mib = anonymous_resident_mib();
    auto loaded = project->load_embeddings("large");
    REQUIRE(loaded);
    REQUIRE(loaded->is_mapped());
    double sum = 0;
    for (float v : std::as_const(*loaded).values()) sum += v;  // every page read (const: no copy)
    CHECK(sum == 100'000.0);
    const double grown_mib = anonymous_resident_mib() - before_mib;
    INFO("anonymous memory grew by " << grown_mib << " MiB for a 195 MiB matrix");
    CHECK(grown_mib < 20.0);
}
