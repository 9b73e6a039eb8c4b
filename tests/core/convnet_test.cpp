#include <catch2/catch.hpp>

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "convnet/augmentation.h"
#include "convnet/contrastive_losses.h"
#include "corral/core/convnet.h"
#include "corral/core/encoder.h"
#include "corral/core/metrics.h"
#include "corral/models/convnet.h"
#include "corral/models/convnet_checkpoint.h"
#include "tensor_bridge.h"
#include "test_support.h"

using namespace corral;

namespace {

// Planted classes the network must discover: a filled disk, a horizontal bar and a vertical bar,
// each at a random place, size and brightness on a dark, noisy background. Grey, side x side.
class ShapesDataset final : public Dataset {
public:
    ShapesDataset(int per_class, int side, std::uint32_t seed) : side_(side) {
        std::mt19937 rng(seed);
        class_names_ = {"disk", "horizontal", "vertical"};
        for (int item = 0; item < per_class * 3; ++item) {
            const int label = item % 3;
            labels_.push_back(label);
            images_.push_back(draw(label, rng));
        }
    }
    std::string description() const override { return "shapes (" + std::to_string(size()) + " images)"; }
    std::int64_t size() const override { return static_cast<std::int64_t>(images_.size()); }
    Expected<Image> load_image(std::int64_t index) const override { return images_[static_cast<std::size_t>(index)]; }
    std::string item_name(std::int64_t index) const override { return "shape#" + std::to_string(index); }
    std::filesystem::path item_file(std::int64_t) const override { return "shapes"; }

private:
    Image draw(int label, std::mt19937& rng) const {
        std::uniform_real_distribution<float> unit(0.0f, 1.0f);
        Image image{side_, side_, 1, std::vector<std::uint8_t>(static_cast<std::size_t>(side_ * side_))};
        const float centre_x = side_ * (0.35f + 0.3f * unit(rng));
        const float centre_y = side_ * (0.35f + 0.3f * unit(rng));
        const float extent = side_ * (0.25f + 0.1f * unit(rng));
        const float thickness = side_ * (0.08f + 0.05f * unit(rng));
        const float brightness = 160.0f + 90.0f * unit(rng);
        for (int y = 0; y < side_; ++y) {
            for (int x = 0; x < side_; ++x) {
                const float dx = static_cast<float>(x) - centre_x;
                const float dy = static_cast<float>(y) - centre_y;
                bool inside = false;
                if (label == 0) inside = dx * dx + dy * dy < extent * extent * 0.5f;
                if (label == 1) inside = std::abs(dx) < extent && std::abs(dy) < thickness;
                if (label == 2) inside = std::abs(dy) < extent && std::abs(dx) < thickness;
                const float value = (inside ? brightness : 0.0f) + 25.0f * unit(rng);
                image.pixels[static_cast<std::size_t>(y * side_ + x)] = static_cast<std::uint8_t>(std::min(255.0f, value));
            }
        }
        return image;
    }

    int side_;
    std::vector<Image> images_;
};

ConvnetTrainingParams tiny_params(const std::filesystem::path& folder) {
    ConvnetTrainingParams params;
    params.output_folder = folder;
    params.clusters = 3;
    params.epochs = 2;
    params.images_per_epoch = 0;
    params.batch_size = 48;
    params.widths = {8, 16};
    params.feature_dimension = 0;  // features are the last stage's 16 channels
    params.learning_rate = 3e-3;
    params.seed = 7;
    return params;
}

double max_difference(const FloatMatrix& a, const FloatMatrix& b) {
    double largest = 0.0;
    for (std::size_t i = 0; i < a.values().size(); ++i) {
        largest = std::max(largest, static_cast<double>(std::abs(a.values()[i] - b.values()[i])));
    }
    return largest;
}

}  // namespace

TEST_CASE("safetensors files round-trip and match an independent reader", "[unit][convnet]") {
    testing::TempDir folder;
    const auto path = folder / "tensors.safetensors";
    models::NamedTensors tensors;
    tensors["weights"] = torch::arange(12, torch::kFloat32).reshape({3, 4}) * 0.5;
    tensors["counts"] = torch::tensor({int64_t{3}, int64_t{-7}}, torch::kInt64);
    tensors["bytes"] = torch::arange(5, torch::kUInt8);
    tensors["channels_last"] = torch::rand({2, 3, 4, 5}).contiguous(torch::MemoryFormat::ChannelsLast);
    tensors["empty"] = torch::zeros({0, 3});
    models::write_checkpoint(path, tensors, {{"epoch", "4"}, {"note", "a \"quoted\" text"}});
    CHECK_FALSE(std::filesystem::exists(folder / "tensors.safetensors.partial"));

    const auto read = models::read_checkpoint(path);
    REQUIRE(read.tensors.size() == tensors.size());
    for (const auto& [name, tensor] : tensors) {
        INFO(name);
        REQUIRE(read.tensors.count(name));
        CHECK(read.tensors.at(name).scalar_type() == tensor.scalar_type());
        CHECK(torch::equal(read.tensors.at(name), tensor.contiguous()));
    }
    CHECK(read.metadata.at("epoch") == "4");
    CHECK(read.metadata.at("note") == "a \"quoted\" text");

    std::istringstream oracle(testing::run_python_oracle("safetensors_oracle.py", {path.string()}));
    std::string name, dtype, shape, sum;
    std::map<std::string, std::string> shapes;
    std::map<std::string, double> sums;
    for (std::string line; std::getline(oracle, line);) {
        std::istringstream words(line);
        words >> name;
        if (name == "metadata") continue;
        words >> dtype >> shape >> sum;
        shapes[name] = dtype + " " + shape;
        sums[name] = std::stod(sum);
    }
    CHECK(shapes["weights"] == "F32 3x4");
    CHECK(shapes["counts"] == "I64 2");
    CHECK(shapes["bytes"] == "U8 5");
    CHECK(shapes["channels_last"] == "F32 2x3x4x5");
    CHECK(sums["weights"] == Approx(33.0));
    CHECK(sums["counts"] == Approx(-4.0));
    CHECK(sums["channels_last"] == Approx(tensors["channels_last"].sum().item<double>()).epsilon(1e-6));
}

TEST_CASE("damaged safetensors files are reported, not trusted", "[unit][convnet]") {
    testing::TempDir folder;
    const auto path = folder / "model.safetensors";
    models::write_checkpoint(path, {{"weights", torch::ones({64, 64})}}, {{"format", "x"}});
    const auto bytes = testing::read_file(path);

    auto kind_of = [&](const std::string& content) {
        testing::write_file(path, content);
        try {
            models::read_checkpoint(path);
        } catch (const models::CheckpointError& error) {
            return error.kind();
        }
        FAIL("a damaged file was accepted");
        return models::CheckpointError::Kind::io_error;
    };
    CHECK(kind_of(bytes.substr(0, bytes.size() - 100)) == models::CheckpointError::Kind::corrupt);  // truncated data
    CHECK(kind_of(bytes.substr(0, 20)) == models::CheckpointError::Kind::corrupt);                  // truncated header
    CHECK(kind_of(bytes.substr(0, 5)) == models::CheckpointError::Kind::corrupt);
    std::string garbage_header = bytes;
    garbage_header[10] = '!';
    CHECK(kind_of(garbage_header) == models::CheckpointError::Kind::corrupt);
    std::string huge_length = bytes;
    huge_length[6] = '\x7f';
    CHECK(kind_of(huge_length) == models::CheckpointError::Kind::corrupt);

    // Through core's boundary the damage is an error value.
    testing::write_file(path, bytes.substr(0, bytes.size() / 2));
    const auto info = read_convnet_info(folder.path());
    REQUIRE_FALSE(info);
    CHECK(info.error().code == ErrorCode::corrupt_data);
    const auto missing = read_convnet_info(folder / "absent");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ErrorCode::not_found);
    const auto encoder = create_image_encoder("convnet:" + (folder / "absent").string());
    REQUIRE_FALSE(encoder);
    CHECK(encoder.error().code == ErrorCode::not_found);
}

TEST_CASE("contrastive clustering losses equal CC's reference code", "[unit][convnet]") {
    torch::manual_seed(3);
    const std::int64_t n = 37, d = 16, c = 5;
    namespace F = torch::nn::functional;
    const auto z_i = F::normalize(torch::randn({n, d}), F::NormalizeFuncOptions().dim(1));
    const auto z_j = F::normalize(torch::randn({n, d}), F::NormalizeFuncOptions().dim(1));
    const auto c_i = torch::softmax(torch::randn({n, c}) * 2, 1);
    const auto c_j = torch::softmax(torch::randn({n, c}) * 2, 1);
    testing::TempDir folder;
    testing::write_floats(folder / "z_i.bin", corral::detail::to_matrix(z_i));
    testing::write_floats(folder / "z_j.bin", corral::detail::to_matrix(z_j));
    testing::write_floats(folder / "c_i.bin", corral::detail::to_matrix(c_i));
    testing::write_floats(folder / "c_j.bin", corral::detail::to_matrix(c_j));
    const auto expected = testing::parse_doubles(testing::run_python_oracle(
        "contrastive_loss_oracle.py",
        {folder.path().string(), std::to_string(n), std::to_string(d), std::to_string(c), "0.5", "1.0"}));
    REQUIRE(expected.size() == 3);
    CHECK(corral::detail::instance_contrastive_loss(z_i, z_j, 0.5).item<double>() == Approx(expected[0]).epsilon(1e-5));
    CHECK(corral::detail::cluster_contrastive_loss(c_i, c_j, 1.0).item<double>() == Approx(expected[1]).epsilon(1e-5));
    const double entropy =
        (corral::detail::cluster_entropy_loss(c_i) + corral::detail::cluster_entropy_loss(c_j)).item<double>();
    CHECK(entropy == Approx(expected[2]).margin(1e-6));
    // A batch all in one cluster pays the full log C; an even spread pays nothing.
    CHECK(corral::detail::cluster_entropy_loss(torch::one_hot(torch::zeros({8}, torch::kLong), c).to(torch::kFloat32))
              .item<double>() == Approx(std::log(5.0)));
    CHECK(corral::detail::cluster_entropy_loss(torch::full({4, c}, 0.2f)).item<double>() == Approx(0.0).margin(1e-6));
}

TEST_CASE("augmentation is batched, seeded and does what its parameters say", "[unit][convnet]") {
    const auto images = torch::randint(0, 256, {16, 1, 20, 20}, torch::kUInt8);
    const corral::detail::Normalisation normalisation{0.5, 0.25};
    const corral::detail::AugmentationParams params;
    auto first_generator = at::detail::createCPUGenerator(11);
    auto second_generator = at::detail::createCPUGenerator(11);
    const auto first = corral::detail::augment_batch(images, params, normalisation, first_generator);
    const auto repeat = corral::detail::augment_batch(images, params, normalisation, second_generator);
    const auto other = corral::detail::augment_batch(images, params, normalisation, first_generator);
    CHECK(first.sizes() == images.sizes());
    CHECK(first.scalar_type() == torch::kFloat32);
    CHECK(torch::equal(first, repeat));
    CHECK_FALSE(torch::allclose(first, other));
    CHECK(first.min().item<float>() >= -2.0f - 1e-5f);  // (0 - 0.5) / 0.25
    CHECK(first.max().item<float>() <= 2.0f + 1e-5f);

    // Whole-image "crop", certain flip and nothing else: exactly the mirror image.
    corral::detail::AugmentationParams mirror;
    mirror.min_crop_area = 1.0;
    mirror.max_aspect_change = 1.0;
    mirror.flip_probability = 1.0;
    mirror.brightness = 0.0;
    mirror.contrast = 0.0;
    mirror.cutout_probability = 0.0;
    auto generator = at::detail::createCPUGenerator(1);
    const auto mirrored = corral::detail::augment_batch(images, mirror, normalisation, generator);
    const auto expected = corral::detail::normalise_batch(images.flip({3}), normalisation);
    CHECK(torch::allclose(mirrored, expected, 1e-5, 1e-5));
}

TEST_CASE("the convnet's network has the documented shapes", "[unit][convnet]") {
    models::ConvnetOptions options;
    options.input_size = 28;
    options.widths = {8, 16, 24};
    options.clusters = 4;
    options.projection_dimension = 12;
    models::ConvnetClustering model(options);
    model->eval();
    torch::NoGradGuard no_grad;
    const auto outputs = model->forward(torch::randn({5, 1, 28, 28}));
    CHECK(outputs.features.sizes() == torch::IntArrayRef({5, 24}));
    CHECK(outputs.projections.sizes() == torch::IntArrayRef({5, 12}));
    CHECK(outputs.probabilities.sizes() == torch::IntArrayRef({5, 4}));
    CHECK(torch::allclose(outputs.projections.norm(2, 1), torch::ones({5}), 1e-5, 1e-5));
    CHECK(torch::allclose(outputs.probabilities.sum(1), torch::ones({5}), 1e-5, 1e-5));
    // Larger inputs (up to 96 px) go through the same network: pooling makes the size free.
    options.input_size = 96;
    options.input_channels = 3;
    models::ConvnetClustering large(options);
    large->eval();
    CHECK(large->forward(torch::randn({2, 3, 96, 96})).features.sizes() == torch::IntArrayRef({2, 24}));
    // Equal seeds give equal weights, whatever torch's global generator says.
    models::ConvnetClustering first(options), second(options);
    torch::manual_seed(1);
    first->reset_parameters(5);
    torch::manual_seed(2);
    second->reset_parameters(5);
    for (const auto& item : first->named_parameters(true)) {
        INFO(item.key());
        CHECK(torch::equal(item.value(), second->named_parameters(true)[item.key()]));
    }
    options.widths.clear();
    CHECK_THROWS_AS(models::ConvnetClustering(options), c10::Error);
}

TEST_CASE("deeper stages and a feature layer give signed features of the chosen size", "[unit][convnet]") {
    models::ConvnetOptions options;
    options.widths = {8, 16};
    options.clusters = 3;
    options.blocks_per_stage = 2;
    options.feature_dimension = 20;
    models::ConvnetClustering model(options);
    model->reset_parameters(3);
    model->eval();
    torch::NoGradGuard no_grad;
    const auto features = model->forward(torch::randn({16, 1, 28, 28})).features;
    CHECK(features.sizes() == torch::IntArrayRef({16, 20}));
    CHECK(models::convnet_feature_dimension(options) == 20);
    // Post-ReLU pooling is never negative; the linear layer's output is, somewhere.
    CHECK(features.min().item<float>() < 0.0f);
    // Two blocks per stage: the stage is a sequence, and the extra block keeps the stage's width.
    const auto parameters = model->named_parameters(true);
    CHECK(parameters.contains("backbone.stages.0.1.first_conv.weight"));
    CHECK(parameters["backbone.stages.1.1.second_conv.weight"].sizes() == torch::IntArrayRef({16, 16, 3, 3}));
    CHECK(parameters["backbone.feature_layer.weight"].sizes() == torch::IntArrayRef({20, 16}));
    CHECK(parameters["cluster_head.hidden.weight"].size(1) == 20);
    // Without the new options the parameter names are those of models written before them.
    options.blocks_per_stage = 1;
    options.feature_dimension = 0;
    models::ConvnetClustering legacy(options);
    CHECK(legacy->named_parameters(true).contains("backbone.stages.0.first_conv.weight"));
    CHECK_FALSE(legacy->named_parameters(true).contains("backbone.feature_layer.weight"));
    CHECK(models::convnet_feature_dimension(options) == 16);
    options.blocks_per_stage = 0;
    CHECK_THROWS_AS(models::ConvnetClustering(options), c10::Error);
}

TEST_CASE("the convnet learns planted shape classes well above chance", "[model][convnet]") {
    const ShapesDataset dataset(64, 20, 5);
    testing::TempDir folder;
    auto params = tiny_params(folder.path());
    params.epochs = 10;
    const auto report = train_convnet(dataset, params);
    REQUIRE(report);
    CHECK(report->epochs_completed == 10);
    CHECK(report->epochs.size() == 10);
    CHECK(report->images_per_second > 0);
    const auto prediction = predict_with_convnet(folder.path(), dataset);
    REQUIRE(prediction);
    CHECK(prediction->features.rows() == dataset.size());
    CHECK(prediction->probabilities.cols() == 3);
    const auto scores = score_clustering(dataset.labels(), prediction->assignment);
    INFO("NMI " << scores.nmi << " ACC " << scores.acc);
    // Chance is NMI ~0 and ACC ~0.33 for three balanced classes.
    CHECK(scores.nmi > 0.4);
    CHECK(scores.acc > 0.5);
}

TEST_CASE("convnet training resumes where it stopped and cancels cleanly", "[model][convnet]") {
    const ShapesDataset dataset(32, 20, 9);
    testing::TempDir straight_folder, resumed_folder;

    auto params = tiny_params(straight_folder.path());
    REQUIRE(train_convnet(dataset, params));

    // Stop during the second epoch: the first epoch's checkpoint stays.
    auto interrupted = tiny_params(resumed_folder.path());
    std::stop_source stop;
    const JobContext job(stop.get_token(), [&](double, std::string_view message) {
        if (message.find("epoch 1/2 done") != std::string_view::npos) stop.request_stop();
    });
    const auto cancelled = train_convnet(dataset, interrupted, job);
    REQUIRE_FALSE(cancelled);
    CHECK(cancelled.error().code == ErrorCode::cancelled);
    const auto info = read_convnet_info(resumed_folder.path());
    REQUIRE(info);
    CHECK(info->epochs_completed == 1);

    const auto resumed = train_convnet(dataset, interrupted);
    REQUIRE(resumed);
    CHECK(resumed->resumed_from_epoch == 1);
    CHECK(resumed->epochs.size() == 1);
    CHECK(resumed->epochs_completed == 2);

    // The same seeds per epoch and the restored optimizer give the uninterrupted run's model.
    const auto straight = predict_with_convnet(straight_folder.path(), dataset);
    const auto continued = predict_with_convnet(resumed_folder.path(), dataset);
    REQUIRE(straight);
    REQUIRE(continued);
    CHECK(max_difference(straight->probabilities, continued->probabilities) < 1e-4);
    CHECK(max_difference(straight->features, continued->features) < 1e-3);

    // A finished model is not retrained; another architecture in the same folder is refused.
    const auto again = train_convnet(dataset, interrupted);
    REQUIRE(again);
    CHECK(again->epochs.empty());
    auto other_shape = interrupted;
    other_shape.clusters = 4;
    const auto refused = train_convnet(dataset, other_shape);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::invalid_argument);
}

TEST_CASE("a training begun in another shape resumes in its own shape, not the defaults'", "[model][convnet]") {
    const ShapesDataset dataset(24, 8, 5);
    testing::TempDir folder;
    auto begun = tiny_params(folder.path());
    begun.epochs = 1;
    begun.blocks_per_stage = 2;
    begun.feature_dimension = 12;
    REQUIRE(train_convnet(dataset, begun));

    // Later defaults differ in every architectural field; the checkpoint's shape wins.
    ConvnetTrainingParams later;
    later.output_folder = folder.path();
    later.clusters = begun.clusters;
    later.batch_size = begun.batch_size;
    later.images_per_epoch = 0;
    later.epochs = 2;
    REQUIRE(later.widths != begun.widths);
    REQUIRE(adopt_checkpoint_architecture(later));
    CHECK(later.widths == begun.widths);
    CHECK(later.blocks_per_stage == 2);
    CHECK(later.feature_dimension == 12);
    const auto resumed = train_convnet(dataset, later);
    REQUIRE(resumed);
    CHECK(resumed->resumed_from_epoch == 1);
    CHECK(resumed->epochs_completed == 2);

    // No model: nothing changes. A damaged model: a clear error, params untouched.
    testing::TempDir empty;
    ConvnetTrainingParams fresh;
    fresh.output_folder = empty.path();
    REQUIRE(adopt_checkpoint_architecture(fresh));
    CHECK(fresh.widths == ConvnetTrainingParams{}.widths);
    CHECK(fresh.feature_dimension == ConvnetTrainingParams{}.feature_dimension);
    {
        std::ofstream damaged(empty / "model.safetensors", std::ios::binary);
        damaged << "not a model";
    }
    const auto refused = adopt_checkpoint_architecture(fresh);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::corrupt_data);
    CHECK(fresh.widths == ConvnetTrainingParams{}.widths);
}

TEST_CASE("the convnet encoder serves a trained model's features", "[model][convnet]") {
    const ShapesDataset dataset(16, 20, 2);
    testing::TempDir folder;
    auto params = tiny_params(folder.path());
    params.epochs = 1;
    REQUIRE(train_convnet(dataset, params));
    auto encoder = create_image_encoder("convnet:" + folder.path().string());
    REQUIRE(encoder);
    CHECK((*encoder)->id().rfind("convnet-", 0) == 0);
    const auto features = (*encoder)->encode(dataset, {});
    REQUIRE(features);
    CHECK(features->rows() == dataset.size());
    CHECK(features->cols() == 16);
    const auto prediction = predict_with_convnet(folder.path(), dataset);
    REQUIRE(prediction);
    CHECK(max_difference(*features, prediction->features) == 0.0);

    // Training further changes the weights and so the id (the cache key of stored embeddings).
    const std::string first_id = (*encoder)->id();
    params.epochs = 2;
    REQUIRE(train_convnet(dataset, params));
    auto retrained = create_image_encoder("convnet:" + folder.path().string());
    REQUIRE(retrained);
    CHECK((*retrained)->id() != first_id);
}
