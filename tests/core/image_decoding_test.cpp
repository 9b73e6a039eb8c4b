// Real-world image files: transparency, EXIF orientation, 16-bit, grey+alpha, palettes, CMYK,
// animations, links, copies and decompression bombs, each written by the test itself.
#include <catch2/catch.hpp>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <thread>

#include "corral/core/dataset.h"
#include "data/image_decoding.h"
#include "data/image_header.h"
#include "image_files.h"
#include "test_support.h"

using namespace corral;
namespace fs = std::filesystem;

namespace {

// Straight alpha over white, as a person would compute it.
int over_white(int colour, int alpha) {
    return static_cast<int>(std::lround(colour * alpha / 255.0 + 255.0 * (255 - alpha) / 255.0));
}

std::int64_t index_of(const Dataset& dataset, const std::string& name) {
    for (std::int64_t i = 0; i < dataset.size(); ++i) {
        if (dataset.item_name(i) == name) return i;
    }
    FAIL("no image named " << name);
    return -1;
}

Image load(const Dataset& dataset, const std::string& name, const ImageRequest& request = {}) {
    auto image = dataset.load_image(index_of(dataset, name), request);
    REQUIRE(image);
    return *image;
}

void check_rgb(const Image& image, int y, int x, int r, int g, int b, int tolerance = 1) {
    INFO("pixel (" << y << ", " << x << ") = " << int(image.at(y, x, 0)) << ", " << int(image.at(y, x, 1)) << ", "
                   << int(image.at(y, x, 2)));
    CHECK(std::abs(image.at(y, x, 0) - r) <= tolerance);
    CHECK(std::abs(image.at(y, x, 1) - g) <= tolerance);
    CHECK(std::abs(image.at(y, x, 2) - b) <= tolerance);
}

// One folder with every kind of file a real collection throws at the app.
void build_real_world_folder(const fs::path& root) {
    fs::create_directories(root);
    // RGBA via OpenCV (BGRA order): half-transparent red, fully transparent "black", opaque blue.
    cv::Mat alpha(2, 4, CV_8UC4, cv::Scalar(0, 0, 0, 0));
    alpha.at<cv::Vec4b>(0, 0) = {0, 0, 255, 128};
    alpha.at<cv::Vec4b>(0, 2) = {255, 0, 0, 255};
    REQUIRE(cv::imwrite((root / "alpha.png").string(), alpha));
    // Line art: black strokes on a transparent (stored as black) background.
    cv::Mat drawing(64, 64, CV_8UC4, cv::Scalar(0, 0, 0, 0));
    cv::line(drawing, {4, 32}, {60, 32}, cv::Scalar(0, 0, 0, 255), 3, cv::LINE_8);
    cv::line(drawing, {16, 4}, {16, 60}, cv::Scalar(0, 0, 0, 255), 3, cv::LINE_8);
    REQUIRE(cv::imwrite((root / "drawing.png").string(), drawing));
    // 40 wide, 20 high, blue top-left block; EXIF orientation 6 = turn 90 degrees clockwise.
    cv::Mat photo(20, 40, CV_8UC3, cv::Scalar(0, 0, 255));
    photo(cv::Rect(0, 0, 10, 10)).setTo(cv::Scalar(255, 0, 0));
    testing::write_exif_jpeg(root / "photo_rotated.jpg", photo, 6);
    testing::write_png_16(root / "deep.png", 2, 1, {65535, 32768, 0, 25800, 1000, 65535});
    testing::write_png_8(root / "grey_alpha.png", 3, 1, 2, {0, 255, 0, 0, 200, 128});
    testing::write_palette_png(root / "palette.png", 3, 1, {0, 1, 2}, {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}},
                               {255, 0, 255});
    // Frame 1: red left half, transparent right half; frame 2: blue.
    std::vector<std::uint8_t> first(16 * 8), second(16 * 8, 2);
    for (int y = 0; y < 8; ++y) {
        for (int x = 0; x < 16; ++x) first[static_cast<std::size_t>(y * 16 + x)] = x < 8 ? 0 : 3;
    }
    testing::write_gif(root / "animated.gif", 16, 8, {first, second}, {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {0, 0, 0}}, 3);
    testing::write_animated_webp(root / "animated.webp", {cv::Mat(8, 8, CV_8UC4, cv::Scalar(0, 255, 0, 255)),
                                                          cv::Mat(8, 8, CV_8UC4, cv::Scalar(0, 0, 255, 255))});
    testing::write_apng(root / "animated.png", cv::Mat(8, 8, CV_8UC3, cv::Scalar(0, 0, 255)),
                        cv::Mat(8, 8, CV_8UC3, cv::Scalar(255, 0, 0)));
    cv::Mat ink(8, 16, CV_8UC4, cv::Scalar::all(0));
    ink(cv::Rect(0, 0, 8, 8)).setTo(cv::Scalar(255, 0, 0, 0));  // cyan ink on the left, paper on the right
    testing::write_cmyk_jpeg(root / "cmyk.jpg", ink);
    // Duplicates: a byte-identical copy and a link to a file of the collection.
    fs::copy_file(root / "deep.png", root / "zz_copy_of_deep.png");
    fs::create_symlink("alpha.png", root / "link_to_alpha.png");
    // Skipped: a broken link, two bombs, and a width OpenCV refuses by throwing.
    fs::create_symlink("missing.png", root / "broken_link.png");
    testing::write_png_bomb(root / "bomb.png", 32000, 32000);
    testing::write_png_bomb_header(root / "bomb_header.png", 32000, 32000);
    testing::write_bmp_header(root / "too_wide.bmp", 2'000'000, 1);
}

}  // namespace

TEST_CASE("real-world folder: right count, right pixels, clear messages", "[unit][images]") {
    testing::TempDir scratch;
    const fs::path root = scratch / "collection";
    build_real_world_folder(root);
    CHECK(fs::file_size(root / "bomb.png") < 200'000);  // a small file claiming a gigapixel

    auto opened = open_dataset("folder:" + root.string());
    REQUIRE(opened);
    const Dataset& data = **opened;
    CHECK(data.size() == 10);

    std::map<std::string, std::string> skipped;
    for (const auto& file : data.skipped()) skipped[file.path.filename().string()] = file.reason;
    REQUIRE(skipped.size() == 4);
    CHECK_THAT(skipped["broken_link.png"], Catch::Contains("broken symbolic link") && Catch::Contains("missing.png"));
    for (const char* bomb : {"bomb.png", "bomb_header.png"}) {
        INFO(skipped[bomb]);
        CHECK_THAT(skipped[bomb], Catch::StartsWith("32000 x 32000 pixels would take") &&
                                      Catch::Contains("GiB to decode, more than the 512 MiB one image may use") &&
                                      Catch::Contains("decompression bomb"));
    }
    CHECK_THAT(skipped["too_wide.bmp"], Catch::Contains("the decoder failed") && Catch::Contains("CV_IO_MAX_IMAGE_WIDTH"));

    REQUIRE(data.duplicates().size() == 2);
    CHECK(data.duplicates()[0].path.filename() == "link_to_alpha.png");
    CHECK(data.duplicates()[0].same_as.filename() == "alpha.png");
    CHECK(data.duplicates()[0].kind == DuplicateFile::Kind::link);
    CHECK(data.duplicates()[1].path.filename() == "zz_copy_of_deep.png");
    CHECK(data.duplicates()[1].same_as.filename() == "deep.png");
    CHECK(data.duplicates()[1].kind == DuplicateFile::Kind::identical_copy);

    SECTION("transparency is composited onto white") {
        const Image alpha = load(data, "alpha.png");
        CHECK(alpha.channels == 3);
        check_rgb(alpha, 0, 0, over_white(255, 128), over_white(0, 128), over_white(0, 128));
        check_rgb(alpha, 0, 1, 255, 255, 255, 0);  // transparent black is white
        check_rgb(alpha, 0, 2, 0, 0, 255, 0);
        const Image drawing = load(data, "drawing.png");
        int white = 0, black = 0;
        for (std::uint8_t value : drawing.pixels) {
            white += value == 255;
            black += value == 0;
        }
        CHECK(white + black == static_cast<int>(drawing.pixels.size()));  // strokes and paper, nothing between
        CHECK(white > static_cast<int>(drawing.pixels.size()) * 8 / 10);  // mostly paper
        check_rgb(drawing, 32, 40, 0, 0, 0, 0);                            // on the horizontal stroke
        check_rgb(drawing, 50, 16, 0, 0, 0, 0);                            // on the vertical stroke
        check_rgb(drawing, 5, 5, 255, 255, 255, 0);
        check_rgb(drawing, 50, 50, 255, 255, 255, 0);
    }
    SECTION("a viewer can have the transparency itself") {
        const Image alpha = load(data, "alpha.png", ImageRequest{0, true});
        REQUIRE(alpha.channels == 4);
        CHECK(alpha.at(0, 0, 0) == 255);
        CHECK(alpha.at(0, 0, 3) == 128);
        CHECK(alpha.at(0, 1, 3) == 0);
        const Image gif = load(data, "animated.gif", ImageRequest{0, true});
        REQUIRE(gif.channels == 4);
        CHECK(gif.at(0, 0, 3) == 255);
        CHECK(gif.at(0, 12, 3) == 0);
        // Opaque images stay RGB even when transparency is asked for.
        CHECK(load(data, "deep.png", ImageRequest{0, true}).channels == 3);
    }
    SECTION("EXIF orientation is applied") {
        const Image photo = load(data, "photo_rotated.jpg");
        CHECK(photo.width == 20);
        CHECK(photo.height == 40);
        check_rgb(photo, 4, 15, 0, 0, 255, 12);   // the blue block turned to the top right
        check_rgb(photo, 4, 4, 255, 0, 0, 12);
        check_rgb(photo, 30, 10, 255, 0, 0, 12);
    }
    SECTION("16-bit, grey+alpha, palette and CMYK samples") {
        const Image deep = load(data, "deep.png");
        check_rgb(deep, 0, 0, 255, 128, 0, 0);  // 65535, 32768, 0 scaled by 255 / 65535
        check_rgb(deep, 0, 1, 100, 4, 255, 0);  // 25800, 1000, 65535
        const Image grey = load(data, "grey_alpha.png");
        check_rgb(grey, 0, 0, 0, 0, 0, 0);
        check_rgb(grey, 0, 1, 255, 255, 255, 0);
        check_rgb(grey, 0, 2, over_white(200, 128), over_white(200, 128), over_white(200, 128));
        const Image palette = load(data, "palette.png");
        check_rgb(palette, 0, 0, 255, 0, 0, 0);
        check_rgb(palette, 0, 1, 255, 255, 255, 0);  // the transparent palette entry
        check_rgb(palette, 0, 2, 0, 0, 255, 0);
        const Image cmyk = load(data, "cmyk.jpg");
        check_rgb(cmyk, 4, 2, 0, 255, 255, 8);  // full cyan ink
        check_rgb(cmyk, 4, 13, 255, 255, 255, 8);
    }
    SECTION("animations show their first frame") {
        const Image gif = load(data, "animated.gif");
        check_rgb(gif, 3, 2, 255, 0, 0, 0);
        check_rgb(gif, 3, 12, 255, 255, 255, 0);  // transparent in frame 1
        check_rgb(load(data, "animated.webp"), 4, 4, 0, 255, 0, 0);
        check_rgb(load(data, "animated.png"), 4, 4, 255, 0, 0, 0);
    }
    SECTION("duplicates can be kept") {
        auto everything = open_dataset("folder-keep-duplicates:" + root.string());
        REQUIRE(everything);
        CHECK((*everything)->size() == 12);
        CHECK((*everything)->duplicates().size() == 2);
        CHECK((*everything)->skipped().size() == 4);
    }
    SECTION("the survey counts before anything is decoded") {
        auto survey = survey_image_folder(root);
        REQUIRE(survey);
        CHECK(survey->image_files == 15);  // the broken link is no file
        CHECK(survey->links() == 1);
        CHECK(survey->identical_copies() == 1);
        REQUIRE(survey->skipped.size() == 1);
        CHECK(survey->skipped[0].path.filename() == "broken_link.png");
    }
}

TEST_CASE("image folder specs: one copy by default, every file when asked", "[unit][images]") {
    testing::TempDir scratch;
    const auto plain = parse_image_folder_spec("folder:" + scratch.path().string());
    REQUIRE(plain);
    CHECK_FALSE(plain->keep_duplicates);
    CHECK(image_folder_spec({scratch.path(), true}) == "folder-keep-duplicates:" + scratch.path().string());
    const auto keep = parse_image_folder_spec(image_folder_spec({scratch.path(), true}));
    REQUIRE(keep);
    CHECK(keep->keep_duplicates);
    CHECK(keep->folder == scratch.path());
    CHECK(parse_image_folder_spec(scratch.path().string()));  // a plain path to a folder
    CHECK_FALSE(parse_image_folder_spec("fashion-mnist"));
    CHECK_FALSE(parse_image_folder_spec((scratch / "missing").string()));
}

TEST_CASE("links to folders are reported, not followed; links to outside images count once", "[unit][images]") {
    testing::TempDir scratch;
    const fs::path root = scratch / "collection";
    cv::Mat red(6, 6, CV_8UC3, cv::Scalar(0, 0, 255)), green(6, 6, CV_8UC3, cv::Scalar(0, 255, 0));
    fs::create_directories(root / "a");
    fs::create_directories(scratch / "elsewhere");
    REQUIRE(cv::imwrite((root / "a/red.png").string(), red));
    REQUIRE(cv::imwrite((scratch / "elsewhere/green.png").string(), green));
    fs::create_directory_symlink(root / "a", root / "loop");          // would list a/ twice, or forever
    fs::create_symlink(scratch / "elsewhere/green.png", root / "a/green.png");
    fs::create_symlink(scratch / "elsewhere/green.png", root / "a/green_again.png");
    auto opened = open_dataset(root.string());
    REQUIRE(opened);
    CHECK((*opened)->size() == 2);  // red, and green once
    REQUIRE((*opened)->duplicates().size() == 1);
    CHECK((*opened)->duplicates()[0].path.filename() == "green_again.png");
    CHECK((*opened)->duplicates()[0].same_as.filename() == "green.png");
    REQUIRE((*opened)->skipped().size() == 1);
    CHECK_THAT((*opened)->skipped()[0].reason, Catch::Contains("links to folders are not followed"));
}

TEST_CASE("large images are decoded at reduced size when less is needed", "[unit][images]") {
    testing::TempDir scratch;
    cv::Mat photo(1200, 1600, CV_8UC3);
    cv::randu(photo, 0, 256);
    REQUIRE(cv::imwrite((scratch / "photo.jpg").string(), photo));
    testing::write_exif_jpeg(scratch / "turned.jpg", cv::Mat(400, 800, CV_8UC3, cv::Scalar(10, 20, 30)), 6);
    REQUIRE(cv::imwrite((scratch / "still.webp").string(), cv::Mat(500, 1000, CV_8UC3, cv::Scalar(1, 2, 3))));

    auto full = corral::detail::decode_image_file(scratch / "photo.jpg");
    REQUIRE(full);
    CHECK(full->width == 1600);
    auto thumbnail = corral::detail::decode_image_file(scratch / "photo.jpg", ImageRequest{96, false});
    REQUIRE(thumbnail);
    CHECK(thumbnail->width == 200);  // 1/8: the short side 150 still covers 96
    CHECK(thumbnail->height == 150);
    auto clip = corral::detail::decode_image_file(scratch / "photo.jpg", ImageRequest{224, false});
    REQUIRE(clip);
    CHECK(clip->height == 300);  // 1/4: 1/8 would make the short side 150 < 224
    auto turned = corral::detail::decode_image_file(scratch / "turned.jpg", ImageRequest{50, false});
    REQUIRE(turned);
    CHECK(turned->width == 50);  // reduced to 100 x 50, then turned
    CHECK(turned->height == 100);
    auto webp = corral::detail::decode_image_file(scratch / "still.webp", ImageRequest{100, false});
    REQUIRE(webp);
    CHECK(webp->width == 200);
    CHECK(webp->height == 100);
}

TEST_CASE("at most two large images are decoded at once, and they come back shrunk", "[unit][images]") {
    testing::TempDir scratch;
    cv::Mat big(4000, 5000, CV_8UC3, cv::Scalar(30, 60, 90));  // 20 Mpx: over kLargeDecodeBytes as a PNG
    cv::line(big, {0, 0}, {4999, 3999}, cv::Scalar(255, 255, 255), 9);
    REQUIRE(cv::imwrite((scratch / "big.png").string(), big));
    std::vector<Expected<Image>> results(6, make_error(ErrorCode::internal, "not run"));
    {
        std::vector<std::jthread> threads;
        for (std::size_t t = 0; t < results.size(); ++t) {
            threads.emplace_back([&, t] { results[t] = corral::detail::decode_image_file(scratch / "big.png", ImageRequest{96, false}); });
        }
    }
    for (const auto& result : results) {
        REQUIRE(result);
        CHECK(result->height == 192);  // shrunk to twice the requested side before the slot is let go
        CHECK(result->width == 240);
    }
    CHECK(corral::detail::peak_concurrent_large_decodes() >= 1);
    CHECK(corral::detail::peak_concurrent_large_decodes() <= corral::detail::kConcurrentLargeDecodes);
}

TEST_CASE("image headers give the size before decoding, for every format", "[unit][images]") {
    testing::TempDir scratch;
    const cv::Mat picture(30, 50, CV_8UC3, cv::Scalar(5, 6, 7));
    const cv::Mat deep(30, 50, CV_16UC1, cv::Scalar(1000));
    struct Case {
        std::string file;
        corral::detail::ImageFormat format;
        int bytes_per_sample;
    };
    for (const auto& [file, format, bytes_per_sample] :
         {Case{"a.png", corral::detail::ImageFormat::png, 1}, Case{"a.jpg", corral::detail::ImageFormat::jpeg, 1},
          Case{"a.bmp", corral::detail::ImageFormat::bmp, 1}, Case{"a.webp", corral::detail::ImageFormat::webp, 1},
          Case{"a.ppm", corral::detail::ImageFormat::pnm, 1}, Case{"a.tiff", corral::detail::ImageFormat::tiff, 1},
          Case{"deep.tiff", corral::detail::ImageFormat::tiff, 2}, Case{"deep.pgm", corral::detail::ImageFormat::pnm, 2}}) {
        INFO(file);
        REQUIRE(cv::imwrite((scratch / file).string(), bytes_per_sample == 2 ? deep : picture));
        const std::string bytes = testing::read_file(scratch / file);
        auto header = corral::detail::read_image_header({reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()});
        REQUIRE(header);
        CHECK(header->format == format);
        CHECK(header->width == 50);
        CHECK(header->height == 30);
        CHECK(header->bytes_per_sample == bytes_per_sample);
    }
    testing::write_gif(scratch / "a.gif", 50, 30, {std::vector<std::uint8_t>(1500, 1)}, {{0, 0, 0}, {9, 9, 9}}, -1);
    const std::string gif = testing::read_file(scratch / "a.gif");
    auto header = corral::detail::read_image_header({reinterpret_cast<const unsigned char*>(gif.data()), gif.size()});
    REQUIRE(header);
    CHECK(header->width == 50);
    CHECK(header->height == 30);
    // Cut short or lying headers are errors, not guesses.
    const std::string png = testing::read_file(scratch / "a.png");
    CHECK_FALSE(corral::detail::read_image_header({reinterpret_cast<const unsigned char*>(png.data()), 20}));
    std::string zero = png;
    zero[16] = zero[17] = zero[18] = zero[19] = '\0';  // width 0
    CHECK_FALSE(corral::detail::read_image_header({reinterpret_cast<const unsigned char*>(zero.data()), zero.size()}));
}
