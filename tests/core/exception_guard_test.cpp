// Exceptions from LibTorch, OpenCV and the standard library never leave core's public entry
// points: a Dataset (the public interface a caller may implement) that throws them makes the
// encoder, the feature cache and the export return an Error value, also when the throw happens
// on one of core's worker threads (where an escaping exception would abort the process).
#include <catch2/catch.hpp>

#include <c10/util/Exception.h>
#include <opencv2/core.hpp>

#include <new>

#include "corral/core/encoder.h"
#include "corral/core/project.h"
#include "corral/core/project_data.h"
#include "corral/core/project_export.h"
#include "test_support.h"

namespace {

using namespace corral;

enum class Throw { c10_error, cv_exception, bad_alloc };

// 200 small grey images; image `bad` throws. 200 images make the batch loader use its workers.
class ThrowingDataset final : public Dataset {
public:
    ThrowingDataset(Throw kind, std::int64_t bad) : kind_(kind), bad_(bad) {}
    std::string description() const override { return "throwing"; }
    std::int64_t size() const override { return 200; }
    Expected<Image> load_image(std::int64_t index) const override {
        if (index == bad_) {
            switch (kind_) {
                case Throw::c10_error: TORCH_CHECK(false, "forced torch failure on image ", index); break;
                case Throw::cv_exception: cv::error(cv::Error::StsBadArg, "forced OpenCV failure", "load_image", __FILE__, __LINE__); break;
                case Throw::bad_alloc: throw std::bad_alloc();
            }
        }
        return Image{8, 8, 1, std::vector<std::uint8_t>(64, static_cast<std::uint8_t>(index))};
    }
    std::string item_name(std::int64_t index) const override { return "packed#" + std::to_string(index); }
    std::filesystem::path item_file(std::int64_t) const override { return "/nonexistent/packed"; }

private:
    Throw kind_;
    std::int64_t bad_;
};

}  // namespace

TEST_CASE("a c10::Error, cv::Exception or bad_alloc inside core comes back as an Error value", "[unit][guard]") {
    auto encoder = create_image_encoder("pixels");
    REQUIRE(encoder);
    SECTION("c10::Error, thrown on a worker thread") {
        auto features = (*encoder)->encode(ThrowingDataset(Throw::c10_error, 150), {});
        REQUIRE_FALSE(features);
        CHECK(features.error().code == ErrorCode::internal);
        CHECK_THAT(features.error().message, Catch::Contains("forced torch failure on image 150"));
        // The user sees the failure, not a C++ backtrace.
        CHECK_THAT(features.error().message, !Catch::Contains("Exception raised from"));
    }
    SECTION("cv::Exception, thrown on a worker thread") {
        auto features = (*encoder)->encode(ThrowingDataset(Throw::cv_exception, 120), {});
        REQUIRE_FALSE(features);
        CHECK(features.error().code == ErrorCode::internal);
        CHECK_THAT(features.error().message, Catch::Contains("forced OpenCV failure"));
        CHECK_THAT(features.error().message, Catch::Contains("image #120"));
    }
    SECTION("cv::Exception on the first image (geometry), on the calling thread") {
        auto features = (*encoder)->encode(ThrowingDataset(Throw::cv_exception, 0), {});
        REQUIRE_FALSE(features);
        CHECK_THAT(features.error().message, Catch::Contains("forced OpenCV failure"));
    }
    SECTION("std::bad_alloc is out_of_memory") {
        auto features = (*encoder)->encode(ThrowingDataset(Throw::bad_alloc, 10), {});
        REQUIRE_FALSE(features);
        CHECK(features.error().code == ErrorCode::out_of_memory);
        CHECK_THAT(features.error().describe(), Catch::StartsWith("out of memory: "));
    }
}

TEST_CASE("a throwing dataset cannot break the feature cache or a folder export", "[unit][guard]") {
    testing::TempDir scratch;
    auto project = Project::create(scratch / "guarded.corral");
    REQUIRE(project);
    // Packed images (no file of their own), which a folder export decodes through the dataset.
    std::vector<ImageRecord> records;
    for (std::int64_t i = 0; i < 200; ++i) records.push_back({i, "packed#" + std::to_string(i), "/nonexistent/packed", true, 64, "crc32:0", -1});
    REQUIRE((*project)->set_dataset({"throwing", "throwing", 0, 200, {}}, records));
    std::vector<int> assignment(200, 0);
    auto id = (*project)->save_clustering({0, "one", "kmeans", "{}", "pixels", 1, assignment, {}, ""});
    REQUIRE(id);
    REQUIRE((*project)->set_current_clustering(*id));

    auto encoder = create_image_encoder("pixels");
    REQUIRE(encoder);
    auto cached = cached_features(**project, **encoder, ThrowingDataset(Throw::cv_exception, 77), {});
    REQUIRE_FALSE(cached);
    CHECK_THAT(cached.error().message, Catch::Contains("forced OpenCV failure"));

    ExportOptions options;
    options.format = ExportFormat::folder;
    options.output = scratch / "tree";
    const ThrowingDataset throwing(Throw::c10_error, 3);
    auto report = export_clustering(**project, options, &throwing);
    REQUIRE(report);
    CHECK(report->images_written == 199);
    REQUIRE(report->skipped.size() == 1);
    CHECK_THAT(report->skipped[0].reason, Catch::Contains("forced torch failure"));
    CHECK((*project)->check_integrity());
}
