#include <catch2/catch.hpp>
#include <zlib.h>

#include <opencv2/imgcodecs.hpp>

#include <fstream>

#include "corral/core/dataset.h"
#include "test_support.h"

using namespace corral;
namespace fs = std::filesystem;

namespace {

void write_png(const fs::path& path, int value, int width = 12, int height = 10) {
    fs::create_directories(path.parent_path());
    cv::Mat image(height, width, CV_8UC3, cv::Scalar(value, 255 - value, 40));
    REQUIRE(cv::imwrite(path.string(), image));
}

void truncate_file(const fs::path& path, std::size_t keep) {
    std::string bytes = testing::read_file(path);
    testing::write_file(path, bytes.substr(0, keep));
}

std::string big_endian(std::uint32_t value) {
    return {static_cast<char>(value >> 24), static_cast<char>(value >> 16), static_cast<char>(value >> 8),
            static_cast<char>(value)};
}

std::string idx_images(int count, int side) {
    std::string bytes = std::string("\0\0\x08\x03", 4) + big_endian(count) + big_endian(side) + big_endian(side);
    for (int i = 0; i < count * side * side; ++i) bytes += static_cast<char>(i % 251);
    return bytes;
}

std::string idx_labels(const std::vector<int>& labels) {
    std::string bytes = std::string("\0\0\x08\x01", 4) + big_endian(static_cast<std::uint32_t>(labels.size()));
    for (int label : labels) bytes += static_cast<char>(label);
    return bytes;
}

void write_gzip(const fs::path& path, const std::string& bytes) {
    gzFile file = gzopen(path.c_str(), "wb");
    REQUIRE(file != nullptr);
    REQUIRE(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
    REQUIRE(gzclose(file) == Z_OK);
}

}  // namespace

TEST_CASE("image folder: classes from subfolders, corrupt files reported and skipped", "[unit]") {
    testing::TempDir root;
    for (int i = 0; i < 3; ++i) {
        write_png(root / ("dog/dog" + std::to_string(i) + ".png"), 10 * i);
        write_png(root / ("cat/cat" + std::to_string(i) + ".png"), 100 + 10 * i);
    }
    // A truncated PNG, a JPEG cut short, random bytes, an empty file: all must be skipped.
    write_png(root / "cat/truncated.png", 7);
    truncate_file(root / "cat/truncated.png", 40);
    cv::imwrite((root / "dog/cut.jpg").string(), cv::Mat(64, 64, CV_8UC3, cv::Scalar(1, 2, 3)));
    truncate_file(root / "dog/cut.jpg", testing::read_file(root / "dog/cut.jpg").size() / 2);
    testing::write_file(root / "dog/garbage.jpg", std::string(500, '\x5a'));
    testing::write_file(root / "cat/empty.png", "");
    testing::write_file(root / "dog/notes.txt", "not an image");
    testing::write_file(root / "cat/text.png", "a text file with an image's name");
    // Named by the wrong format but whole: kept.
    write_png(root / "dog/png-named.png", 77);
    std::filesystem::rename(root / "dog/png-named.png", root / "dog/png-named.jpg");

    auto dataset = open_dataset("folder:" + root.path().string());
    REQUIRE(dataset);
    const Dataset& data = **dataset;
    CHECK(data.size() == 7);
    CHECK(data.skipped().size() == 5);
    for (const auto& skipped : data.skipped()) {
        const bool named_truncated = skipped.path.filename() == "truncated.png" || skipped.path.filename() == "cut.jpg";
        CHECK((skipped.reason.find("truncated") != std::string::npos) == named_truncated);
    }
    REQUIRE(data.class_names() == std::vector<std::string>{"cat", "dog"});
    for (std::int64_t i = 0; i < data.size(); ++i) {
        const bool is_cat = data.item_name(i).rfind("cat/", 0) == 0;
        CHECK(data.labels()[static_cast<std::size_t>(i)] == (is_cat ? 0 : 1));
    }
    auto image = data.load_image(0);
    REQUIRE(image);
    CHECK(image->width == 12);
    CHECK(image->height == 10);
    CHECK(image->channels == 3);
    // OpenCV wrote BGR (value, 255 - value, 40); we read RGB.
    CHECK(image->at(0, 0, 0) == 40);
}

TEST_CASE("image folder: labels.csv overrides folder names; vanished files fail cleanly", "[unit]") {
    testing::TempDir root;
    write_png(root / "a.png", 1);
    write_png(root / "sub/b.png", 2);
    write_png(root / "sub/c.png", 3);
    testing::write_file(root / "labels.csv", "path,label\na.png,red\nsub/b.png,blue\n");
    auto dataset = open_dataset(root.path().string());
    REQUIRE(dataset);
    CHECK((*dataset)->class_names() == std::vector<std::string>{"blue", "red"});
    CHECK((*dataset)->labels() == std::vector<int>{1, 0, -1});
    fs::remove(root / "sub/b.png");
    auto missing = (*dataset)->load_image(1);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ErrorCode::io_error);
}

TEST_CASE("image folder: images at the root mean no ground truth; empty folders are an error", "[unit]") {
    testing::TempDir root;
    write_png(root / "a.png", 1);
    write_png(root / "x/b.png", 2);
    auto dataset = open_dataset(root.path().string());
    REQUIRE(dataset);
    CHECK_FALSE((*dataset)->has_ground_truth());
    testing::TempDir empty;
    auto none = open_dataset(empty.path().string());
    REQUIRE_FALSE(none);
    CHECK(none.error().code == ErrorCode::not_found);
}

TEST_CASE("IDX files, plain and gzipped, with labels found by name", "[unit]") {
    testing::TempDir root;
    testing::write_file(root / "train-images-idx3-ubyte", idx_images(5, 4));
    testing::write_file(root / "train-labels-idx1-ubyte", idx_labels({0, 1, 2, 1, 0}));
    write_gzip(root / "t10k-images-idx3-ubyte.gz", idx_images(3, 4));
    write_gzip(root / "t10k-labels-idx1-ubyte.gz", idx_labels({2, 2, 1}));

    auto all = open_dataset("idx:" + root.path().string());
    REQUIRE(all);
    CHECK((*all)->size() == 8);
    CHECK((*all)->labels() == std::vector<int>{0, 1, 2, 1, 0, 2, 2, 1});
    CHECK((*all)->item_name(5) == "t10k-images-idx3-ubyte.gz#0");
    auto image = (*all)->load_image(1);
    REQUIRE(image);
    CHECK(image->channels == 1);
    CHECK(image->pixels[0] == 16);  // item 1 starts at byte 16 of the payload

    auto test_only = open_dataset(root.path().string());  // detected as IDX
    REQUIRE(test_only);
    CHECK((*test_only)->size() == 8);

    SECTION("a lying header is corrupt data") {
        std::string lying = idx_images(5, 4);
        lying[7] = 9;  // claims 9 images
        testing::write_file(root / "train-images-idx3-ubyte", lying);
        auto result = open_dataset("idx:" + root.path().string());
        REQUIRE_FALSE(result);
        CHECK(result.error().code == ErrorCode::corrupt_data);
    }
    SECTION("a truncated gzip stream is corrupt data") {
        const std::string packed = testing::read_file(root / "t10k-images-idx3-ubyte.gz");
        testing::write_file(root / "t10k-images-idx3-ubyte.gz", packed.substr(0, packed.size() - 12));
        auto result = open_dataset("idx:" + root.path().string());
        REQUIRE_FALSE(result);
        CHECK(result.error().code == ErrorCode::corrupt_data);
    }
    SECTION("labels that do not match the image count") {
        testing::write_file(root / "train-labels-idx1-ubyte", idx_labels({0, 1}));
        auto result = open_dataset("idx:" + root.path().string());
        REQUIRE_FALSE(result);
        CHECK(result.error().code == ErrorCode::corrupt_data);
    }
}

TEST_CASE("CIFAR-10 binary batches: planes become interleaved RGB", "[unit]") {
    testing::TempDir root;
    std::string batch;
    for (int record = 0; record < 3; ++record) {
        batch += static_cast<char>(record);  // label
        for (int plane = 0; plane < 3; ++plane) batch += std::string(1024, static_cast<char>(10 * plane + record));
    }
    testing::write_file(root / "data_batch_1.bin", batch);
    testing::write_file(root / "batches.meta.txt", "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n");
    auto dataset = open_dataset("cifar:" + root.path().string());
    REQUIRE(dataset);
    CHECK((*dataset)->size() == 3);
    CHECK((*dataset)->labels() == std::vector<int>{0, 1, 2});
    CHECK((*dataset)->class_names()[1] == "automobile");
    auto image = (*dataset)->load_image(2);
    REQUIRE(image);
    CHECK(image->width == 32);
    CHECK(image->at(5, 7, 0) == 2);
    CHECK(image->at(5, 7, 1) == 12);
    CHECK(image->at(5, 7, 2) == 22);

    testing::write_file(root / "data_batch_1.bin", batch.substr(0, batch.size() - 1));
    auto broken = open_dataset("cifar:" + root.path().string());
    REQUIRE_FALSE(broken);
    CHECK(broken.error().code == ErrorCode::corrupt_data);
}

TEST_CASE("bundled Fashion-MNIST opens with its ten classes", "[unit]") {
    REQUIRE(find_fashion_mnist().has_value());
    auto dataset = open_dataset("fashion-mnist:test");
    REQUIRE(dataset);
    CHECK((*dataset)->size() == 10000);
    CHECK((*dataset)->class_names().size() == 10);
    CHECK((*dataset)->class_names()[9] == "Ankle boot");
    std::vector<int> counts(10, 0);
    for (int label : (*dataset)->labels()) ++counts[static_cast<std::size_t>(label)];
    for (int count : counts) CHECK(count == 1000);

    DatasetOptions options;
    options.limit = 500;
    auto sample = open_dataset("fashion-mnist:test", options);
    REQUIRE(sample);
    CHECK((*sample)->size() == 500);
    CHECK((*sample)->labels().size() == 500);
}

TEST_CASE("unknown specs and missing paths are clear errors", "[unit]") {
    auto missing = open_dataset("/no/such/folder");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ErrorCode::not_found);
    CHECK(missing.error().message.find("/no/such/folder") != std::string::npos);
    auto bad_subset = open_dataset("fashion-mnist:validation");
    REQUIRE_FALSE(bad_subset);
    CHECK(bad_subset.error().code == ErrorCode::invalid_argument);
}
