#include <catch2/catch.hpp>

#include "corral/core/dataset.h"
#include "corral/core/encoder.h"
#include "corral/core/feedback_training.h"
#include "corral/core/kmeans.h"
#include "corral/core/metrics.h"
#include "corral/core/queries.h"
#include "corral/core/simulated_user.h"
#include "corral/core/value_mining.h"

using namespace corral;

namespace {

// One IDC round with 500 simulated answers, T = 5; returns ACC before and after.
std::pair<double, double> idc_round(const Dataset& dataset, const FloatMatrix& features,
                                    const std::vector<int>& initial, SelectionStrategy strategy) {
    FeedbackTrainerParams training;
    training.learning_rate = 1e-3;  // head-only on cached features (see docs/benchmarks.md)
    FeedbackTrainer trainer(training);
    auto before = trainer.fit_initial(features, initial);
    REQUIRE(before);
    ValueMinerParams mining;
    mining.strategy = strategy;
    auto selection = ValueMiner(mining).select(features, before->centres, 500);
    REQUIRE(selection);
    auto queries = QueryBuilder().build(features, before->centres, before->assignment, *selection);
    REQUIRE(queries);
    auto user = SimulatedUser::create(dataset.labels(), before->assignment, 10);
    REQUIRE(user);
    auto after = trainer.fine_tune(features, user->answer_all(*queries));
    REQUIRE(after);
    return {clustering_accuracy(dataset.labels(), before->assignment),
            clustering_accuracy(dataset.labels(), after->prediction.assignment)};
}

}  // namespace

TEST_CASE("IDC on 10k Fashion-MNIST images raises ACC, value mining beating random", "[slow][idc]") {
    if (!find_fashion_mnist()) {
        WARN("Fashion-MNIST is not installed (dataset-fashion-mnist); nothing to check");
        return;
    }
    DatasetOptions options;
    options.limit = 10000;
    auto dataset = open_dataset("fashion-mnist", options);
    REQUIRE(dataset);
    auto encoder = create_image_encoder("pixels");
    REQUIRE(encoder);
    auto features = (*encoder)->encode(**dataset, {});
    REQUIRE(features);
    KMeansParams kmeans;
    kmeans.clusters = 10;
    kmeans.restarts = 1;
    kmeans.metric = DistanceMetric::cosine;
    auto initial = run_kmeans(*features, kmeans);
    REQUIRE(initial);
    const auto [before, mined] = idc_round(**dataset, *features, initial->assignment, SelectionStrategy::hard_representative_diverse);
    const auto [unused, random] = idc_round(**dataset, *features, initial->assignment, SelectionStrategy::random);
    INFO("ACC before " << before << ", after: value mining " << mined << ", random " << random);
    CHECK(mined > before + 0.10);
    CHECK(mined > random);
}
