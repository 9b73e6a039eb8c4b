#include <catch2/catch.hpp>

#include "corral/core/feedback_training.h"
#include "planted_clusters.h"

using namespace corral;

TEST_CASE("a fine-tuned head saved and loaded predicts exactly as before and learns on identically", "[model][idc]") {
    const auto data = testing::make_planted_clusters(4, 50, 20);
    const FeedbackTrainerParams params = testing::quick_trainer_params(4);
    FeedbackTrainer original(params);
    CHECK_FALSE(original.save_head());  // nothing fitted yet
    REQUIRE(original.fit_initial(data.features, data.truth));
    std::vector<Answer> answers;
    for (std::int64_t i = 0; i < 20; ++i) answers.push_back(Answer::positive(i, (data.truth[static_cast<std::size_t>(i)] + 1) % 4));
    REQUIRE(original.fine_tune(data.features, answers));

    auto bytes = original.save_head();
    REQUIRE(bytes);
    FeedbackTrainer restored(params);
    REQUIRE(restored.load_head(*bytes, data.features.cols()));
    auto expected = original.predict(data.features);
    auto actual = restored.predict(data.features);
    REQUIRE(expected);
    REQUIRE(actual);
    CHECK(actual->probabilities == expected->probabilities);

    // Learning on from the restored head is learning on from the original one.
    auto next_original = original.fine_tune(data.features, answers);
    auto next_restored = restored.fine_tune(data.features, answers);
    REQUIRE(next_original);
    REQUIRE(next_restored);
    CHECK(next_restored->prediction.probabilities == next_original->prediction.probabilities);

    // A head of another shape, or bytes that are no head, are refused.
    auto wider = params;
    wider.clusters = 5;
    FeedbackTrainer other_shape(wider);
    const auto shape_refused = other_shape.load_head(*bytes, data.features.cols());
    REQUIRE_FALSE(shape_refused);
    CHECK(shape_refused.error().code == ErrorCode::corrupt_data);
    CHECK_FALSE(FeedbackTrainer(params).load_head(*bytes, data.features.cols() + 1));
    std::vector<std::byte> damaged(bytes->begin(), bytes->begin() + static_cast<std::ptrdiff_t>(bytes->size() / 2));
    const auto damage_refused = FeedbackTrainer(params).load_head(damaged, data.features.cols());
    REQUIRE_FALSE(damage_refused);
    CHECK(damage_refused.error().code == ErrorCode::corrupt_data);
}
