// The pixels encoder's PCA: the same principal subspace as scikit-learn's PCA on each of its
// three paths (covariance, Gram matrix, randomized), and no D x D matrix for large images.
#include <catch2/catch.hpp>

#include <random>
#include <sstream>
#include <stop_token>

#include "corral/core/encoder.h"
#include "encoders/pixel_pca.h"
#include "tensor_bridge.h"
#include "test_support.h"

namespace {

using namespace corral;

// Rows with a decaying spectrum (variances 100 * 0.8^j over 40 directions) plus a little noise.
FloatMatrix structured_data(std::int64_t rows, std::int64_t cols, unsigned seed) {
    std::mt19937 random(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    constexpr int kRank = 40;
    std::vector<std::vector<float>> basis(kRank, std::vector<float>(static_cast<std::size_t>(cols)));
    for (auto& direction : basis) {
        for (auto& value : direction) value = normal(random) / std::sqrt(static_cast<float>(cols));
    }
    FloatMatrix data(rows, cols);
    for (std::int64_t i = 0; i < rows; ++i) {
        auto row = data.row(i);
        for (int j = 0; j < kRank; ++j) {
            const float weight = 10.0f * std::pow(0.8f, static_cast<float>(j)) * normal(random);
            for (std::int64_t c = 0; c < cols; ++c) row[static_cast<std::size_t>(c)] += weight * basis[j][static_cast<std::size_t>(c)];
        }
        for (auto& value : row) value += 0.01f * normal(random) + 0.5f;
    }
    return data;
}

struct Reference {
    std::vector<double> variances;
    std::vector<std::vector<double>> components;
};

Reference sklearn_pca(const FloatMatrix& data, std::int64_t components) {
    testing::TempDir scratch;
    testing::write_floats(scratch / "data.f32", data);
    const std::string output = testing::run_python_oracle(
        "pca_oracle.py", {(scratch / "data.f32").string(), std::to_string(data.rows()), std::to_string(data.cols()),
                          std::to_string(components)});
    std::istringstream lines(output);
    std::string line;
    Reference reference;
    std::getline(lines, line);
    reference.variances = testing::parse_doubles(line);
    while (std::getline(lines, line)) reference.components.push_back(testing::parse_doubles(line));
    return reference;
}

void check_against_sklearn(std::int64_t rows, std::int64_t cols, std::int64_t components, std::int64_t exact_limit,
                           double tolerance) {
    const FloatMatrix data = structured_data(rows, cols, static_cast<unsigned>(rows + cols));
    torch::InferenceMode inference;
    const auto points = corral::detail::to_tensor(data);
    const auto centred = (points - points.mean(0, true)).contiguous();
    auto ours = corral::detail::leading_principal_directions(centred, components, {}, exact_limit);
    REQUIRE(ours);
    const auto reference = sklearn_pca(data, components);
    REQUIRE(reference.components.size() == static_cast<std::size_t>(components));
    REQUIRE(ours->directions.size(1) == components);
    const auto directions = ours->directions.to(torch::kFloat64).contiguous();
    double worst_cosine = 1.0;
    double worst_variance = 0.0;
    for (std::int64_t k = 0; k < components; ++k) {
        double dot = 0.0;
        for (std::int64_t c = 0; c < cols; ++c) dot += directions[c][k].item<double>() * reference.components[k][c];
        worst_cosine = std::min(worst_cosine, std::abs(dot));  // signs are arbitrary
        const double variance = ours->variances[k].item<double>();
        worst_variance = std::max(worst_variance, std::abs(variance - reference.variances[k]) / reference.variances[k]);
    }
    INFO(rows << " x " << cols << ", exact limit " << exact_limit);
    WARN(rows << " x " << cols << " (exact limit " << exact_limit << "): worst |cos| to sklearn's components "
              << worst_cosine << ", worst relative variance error " << worst_variance);
    CHECK(worst_cosine > 1.0 - tolerance);
    CHECK(worst_variance < tolerance);
}

class SolidImages final : public Dataset {
public:
    SolidImages(std::int64_t count, int side) : count_(count), side_(side) {}
    std::string description() const override { return "solid images"; }
    std::int64_t size() const override { return count_; }
    Expected<Image> load_image(std::int64_t index) const override {
        Image image{side_, side_, 3, std::vector<std::uint8_t>(static_cast<std::size_t>(side_ * side_ * 3))};
        for (std::size_t i = 0; i < image.pixels.size(); ++i) {
            image.pixels[i] = static_cast<std::uint8_t>((index * 37 + static_cast<std::int64_t>(i % 97) * (index % 5 + 1)) % 256);
        }
        return image;
    }
    std::string item_name(std::int64_t index) const override { return "solid#" + std::to_string(index); }
    std::filesystem::path item_file(std::int64_t) const override { return "solid"; }

private:
    std::int64_t count_;
    int side_;
};

}  // namespace

TEST_CASE("the pixels PCA spans scikit-learn's principal subspace (covariance path)", "[unit][oracle]") {
    check_against_sklearn(300, 500, 20, corral::detail::kExactPcaLimit, 1e-3);
}

TEST_CASE("the pixels PCA spans scikit-learn's principal subspace (Gram path, D > N)", "[unit][oracle]") {
    check_against_sklearn(200, 3000, 20, corral::detail::kExactPcaLimit, 1e-3);
}

TEST_CASE("the pixels PCA spans scikit-learn's principal subspace (randomized path)", "[unit][oracle]") {
    // N and D both above the exact limit (lowered here so the test stays small).
    check_against_sklearn(600, 3000, 20, 256, 1e-3);
}

TEST_CASE("the pixels PCA stops when cancelled and large images never make a D x D matrix", "[unit]") {
    torch::InferenceMode inference;
    std::stop_source stop;
    stop.request_stop();
    const auto centred = torch::randn({600, 3000});
    auto cancelled = corral::detail::leading_principal_directions(centred, 20, JobContext(stop.get_token(), {}), 256);
    REQUIRE_FALSE(cancelled);
    CHECK(cancelled.error().code == ErrorCode::cancelled);

    // pixels:128 of 50 RGB images is D = 49,152: its covariance would be 19 GB in float64 (and
    // an eigensolver run of hours); the Gram path needs a 50 x 50 matrix.
    auto encoder = create_image_encoder("pixels:128");
    REQUIRE(encoder);
    Stopwatch clock;
    auto features = (*encoder)->encode(SolidImages(50, 24), {});
    REQUIRE(features);
    CHECK(features->rows() == 50);
    CHECK(features->cols() == 49);  // at most N - 1 components
    CHECK(clock.elapsed_ms() < 60000);
    // Whitened: unit variance along each kept component that has any.
    double mean_square = 0.0;
    for (float value : features->values()) mean_square += static_cast<double>(value) * value;
    mean_square /= static_cast<double>(features->values().size());
    CHECK(mean_square > 0.3);
    CHECK(mean_square < 1.2);
}
