// The `clip` encoders of core: CLIP preprocessing checked on hand-worked cases, batching and
// order through a real folder dataset, the text encoder with the real tokenizer, and the errors a
// user sees for a bad model folder.
#include <catch2/catch.hpp>

#include <opencv2/imgcodecs.hpp>

#include "corral/core/dataset.h"
#include "corral/core/encoder.h"
#include "corral/core/text_encoder.h"
#include "encoders/clip_encoder.h"
#include "encoders/clip_preprocess.h"
#include "test_support.h"

using namespace corral;

namespace {

Image make_image(int width, int height, int channels, auto value) {
    Image image{width, height, channels, std::vector<std::uint8_t>(static_cast<std::size_t>(width * height * channels))};
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            for (int c = 0; c < channels; ++c) {
                image.pixels[(static_cast<std::size_t>(y) * width + x) * channels + c] = static_cast<std::uint8_t>(value(y, x, c));
            }
        }
    }
    return image;
}

// A tiny random CLIP folder from the Python reference, with the real CLIP vocabulary beside it.
struct TinyClipFolder {
    testing::TempDir folder;
    explicit TinyClipFolder(int vocabulary_size) {
        testing::run_python_oracle("clip_reference.py", {folder.path().string(), "quick_gelu", std::to_string(vocabulary_size)});
        std::filesystem::copy_file(testing::shared_dir() / "data" / "clip" / "bpe_simple_vocab_16e6.txt.gz",
                                   folder / "bpe_simple_vocab_16e6.txt.gz");
    }
    std::string spec() const { return "clip:" + folder.path().string(); }
};

}  // namespace

TEST_CASE("CLIP preprocessing: resize of the short side, centre crop, normalisation", "[unit][clip]") {
    // Short side already at size: no resampling, the crop takes rows 8..39 of a 32x48 image.
    const auto tall = make_image(32, 48, 3, [](int y, int x, int c) { return (y * 5 + x * 3 + c) % 256; });
    const auto cropped = corral::detail::clip_resize_and_crop(tall, 32);
    REQUIRE(cropped.sizes() == torch::IntArrayRef({3, 32, 32}));
    CHECK(cropped[1][0][0].item<int>() == (8 * 5 + 0 + 1) % 256);
    CHECK(cropped[2][31][31].item<int>() == (39 * 5 + 31 * 3 + 2) % 256);

    // A constant grey image stays constant through bicubic upscaling, on all three channels.
    const auto grey = corral::detail::clip_resize_and_crop(make_image(10, 20, 1, [](int, int, int) { return 77; }), 16);
    CHECK(grey.sizes() == torch::IntArrayRef({3, 16, 16}));
    CHECK((grey == 77).all().item<bool>());

    // Shrinking a one-pixel checkerboard by two: PIL's antialiased filter averages it to grey;
    // plain bicubic sampling would alias it to black and white.
    const auto checker = make_image(64, 64, 3, [](int y, int x, int) { return ((x + y) % 2) * 255; });
    const auto shrunk = corral::detail::clip_resize_and_crop(checker, 32).narrow(1, 2, 28).narrow(2, 2, 28).to(torch::kInt32);
    CHECK(shrunk.min().item<int>() >= 120);
    CHECK(shrunk.max().item<int>() <= 135);

    // Wide images: 40x20 -> 64x32, centre 32 columns from column 16.
    const auto wide = corral::detail::clip_resize_and_crop(make_image(40, 20, 3, [](int, int x, int) { return x < 20 ? 0 : 200; }), 32);
    CHECK(wide[0][10][0].item<int>() == 0);
    CHECK(wide[0][10][31].item<int>() == 200);

    auto white = torch::full({1, 3, 1, 1}, 255, torch::kUInt8);
    const auto normalized = corral::detail::clip_normalize(white, torch::kCPU);
    CHECK(normalized[0][0][0][0].item<float>() == Approx((1 - 0.48145466) / 0.26862954).epsilon(1e-6));
    CHECK(normalized[0][2][0][0].item<float>() == Approx((1 - 0.40821073) / 0.27577711).epsilon(1e-6));
}

TEST_CASE("CLIP image encoder keeps dataset order across batches and shares the model", "[model][clip]") {
    TinyClipFolder model_folder(49408);
    testing::TempDir images;
    for (int i = 0; i < 5; ++i) {
        cv::Mat picture(32 + 8 * i, 32, CV_8UC3);
        cv::randu(picture, 0, 256);
        cv::imwrite((images / ("img" + std::to_string(i) + ".png")).string(), picture);
    }
    auto dataset = open_dataset("folder:" + images.path().string());
    REQUIRE(dataset);
    auto resources = corral::detail::load_clip_resources(model_folder.folder.path());
    REQUIRE(resources);
    corral::detail::ClipImageEncoder encoder(*resources, 2);  // three batches, the last one short
    auto features = encoder.encode(**dataset, {});
    REQUIRE(features);
    CHECK(features->rows() == 5);
    CHECK(features->cols() == 16);

    torch::InferenceMode inference;
    std::vector<torch::Tensor> pixels;
    for (std::int64_t i = 0; i < 5; ++i) pixels.push_back(corral::detail::clip_resize_and_crop(*(*dataset)->load_image(i), 32));
    const auto expected = (*resources)->model->encode_image(corral::detail::clip_normalize(torch::stack(pixels), torch::kCPU));
    for (std::int64_t i = 0; i < 5; ++i) {
        for (std::int64_t j = 0; j < 16; ++j) CHECK((*features)(i, j) == Approx(expected[i][j].item<float>()).margin(1e-6));
    }

    auto from_factory = create_image_encoder(model_folder.spec());
    REQUIRE(from_factory);
    CHECK((*from_factory)->id() == encoder.id());
    CHECK_THAT(encoder.id(), Catch::StartsWith("clip-") && Catch::EndsWith("-image32-bicubic-crop-clipnorm"));
    auto again = corral::detail::load_clip_resources(model_folder.folder.path());
    CHECK(again->get() == resources->get());  // one copy of the weights per process
}

TEST_CASE("CLIP text encoder tokenizes with the folder's vocabulary", "[model][clip]") {
    TinyClipFolder model_folder(49408);
    auto encoder = create_text_encoder(model_folder.spec());
    REQUIRE(encoder);
    CHECK_THAT((*encoder)->id(), Catch::EndsWith("-text"));
    auto features = (*encoder)->encode({"a dog", "a cat", "a photo of a very long caption that runs past sixteen tokens "
                                                           "of context in this tiny model"});
    REQUIRE(features);
    REQUIRE(features->rows() == 3);

    auto resources = corral::detail::load_clip_resources(model_folder.folder.path());
    torch::InferenceMode inference;
    const auto ids = torch::tensor({49406, 320, 1929, 49407}, torch::kInt64).unsqueeze(0);
    const auto expected = (*resources)->model->encode_text(ids, torch::tensor({3}, torch::kInt64));
    for (std::int64_t j = 0; j < 16; ++j) CHECK((*features)(0, j) == Approx(expected[0][j].item<float>()).margin(1e-6));
    CHECK((*features)(0, 0) != (*features)(1, 0));
}

TEST_CASE("CLIP encoders report a bad model folder as a clear error", "[model][clip]") {
    auto absent = create_image_encoder("clip:/nonexistent/clip-model");
    REQUIRE_FALSE(absent);
    CHECK(absent.error().code == ErrorCode::not_found);
    CHECK_THAT(absent.error().message, Catch::Contains("/nonexistent/clip-model"));

    TinyClipFolder small_vocabulary(64);
    auto text = create_text_encoder(small_vocabulary.spec());
    REQUIRE(text);
    auto encoded = (*text)->encode({"a dog"});
    REQUIRE_FALSE(encoded);
    CHECK(encoded.error().code == ErrorCode::corrupt_data);
    CHECK_THAT(encoded.error().message, Catch::Contains("49408 entries"));

    const auto weights = small_vocabulary.folder / "model.safetensors";
    const std::string bytes = testing::read_file(weights);
    testing::write_file(weights, bytes.substr(0, bytes.size() - 100));
    auto damaged = create_image_encoder(small_vocabulary.spec());
    REQUIRE_FALSE(damaged);
    CHECK(damaged.error().code == ErrorCode::corrupt_data);
    CHECK_THAT(damaged.error().message, Catch::Contains("model.safetensors") && Catch::Contains("truncated"));
    CHECK_FALSE(create_text_encoder("bert:whatever"));
}
