// propagate_answers against a hand-worked case and a float64 brute-force oracle; the seeded
// pseudo-label table keeps lent labels.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "corral/core/answer_propagation.h"
#include "idc/self_training.h"

using namespace corral;

namespace {

FloatMatrix unit_rows(const std::vector<std::vector<float>>& rows) {
    FloatMatrix matrix(static_cast<std::int64_t>(rows.size()), static_cast<std::int64_t>(rows.front().size()));
    for (std::size_t r = 0; r < rows.size(); ++r) {
        double norm = 0.0;
        for (const float v : rows[r]) norm += static_cast<double>(v) * v;
        for (std::size_t c = 0; c < rows[r].size(); ++c) {
            matrix(static_cast<std::int64_t>(r), static_cast<std::int64_t>(c)) = static_cast<float>(rows[r][c] / std::sqrt(norm));
        }
    }
    return matrix;
}

}  // namespace

TEST_CASE("an answer lends its cluster to its nearest unanswered images, and disagreeing answers to none", "[unit][idc]") {
    // Points on the unit circle at these angles (degrees): 0 and 90 are answered.
    const std::vector<double> degrees{0, 5, 12, 90, 84, 70, 45, 180};
    std::vector<std::vector<float>> rows;
    for (const double d : degrees) rows.push_back({static_cast<float>(std::cos(d * M_PI / 180)), static_cast<float>(std::sin(d * M_PI / 180))});
    const auto features = unit_rows(rows);
    const std::vector<Answer> answers{Answer::positive(0, 2), Answer::positive(3, 7)};

    auto two = propagate_answers(features, answers, 2);
    REQUIRE(two);
    // 0 deg -> 5, 12 ; 90 deg -> 84, 70.
    REQUIRE(two->size() == 4);
    CHECK((*two)[0].sample == 1);
    CHECK((*two)[0].cluster == 2);
    CHECK((*two)[1].sample == 2);
    CHECK((*two)[1].cluster == 2);
    CHECK((*two)[2].sample == 4);
    CHECK((*two)[2].cluster == 7);
    CHECK((*two)[3].sample == 5);
    CHECK((*two)[3].cluster == 7);

    // With four neighbours each, 45 deg is claimed by both answers (clusters 2 and 7): left out.
    auto four = propagate_answers(features, answers, 4);
    REQUIRE(four);
    std::map<std::int64_t, int> lent;
    for (const auto& label : *four) lent[label.sample] = label.cluster;
    CHECK(lent.count(6) == 0);
    CHECK(lent.count(0) == 0);  // answered images never receive a lent label
    CHECK(lent.count(3) == 0);
    CHECK(lent.at(1) == 2);
    CHECK(lent.at(4) == 7);

    // A negative answer lends nothing and its image is no neighbour either.
    const std::vector<Answer> with_negative{Answer::positive(0, 2), Answer{1, AnswerKind::negative, -1, {2, 3}}};
    auto one = propagate_answers(features, with_negative, 1);
    REQUIRE(one);
    REQUIRE(one->size() == 1);
    CHECK((*one)[0].sample == 2);

    CHECK(propagate_answers(features, answers, 0)->empty());
    CHECK_FALSE(propagate_answers(features, answers, -1));
    CHECK_FALSE(propagate_answers(features, std::vector<Answer>{Answer::positive(8, 0)}, 1));
    // More neighbours than unanswered images: every unanswered image, once.
    auto all = propagate_answers(features, std::vector<Answer>{Answer::positive(0, 1)}, 50);
    REQUIRE(all);
    CHECK(all->size() == 7);
}

TEST_CASE("lent labels are the brute-force nearest neighbours of each answer", "[unit][idc]") {
    std::mt19937 random(7);
    std::normal_distribution<float> normal;
    const std::int64_t images = 600, dims = 16;
    std::vector<std::vector<float>> rows(images, std::vector<float>(dims));
    for (auto& row : rows) for (auto& v : row) v = normal(random);
    const auto features = unit_rows(rows);
    std::vector<Answer> answers;
    for (std::int64_t i = 0; i < 40; ++i) answers.push_back(Answer::positive(i * 13, static_cast<int>(i % 4)));
    const int k = 6;
    auto lent = propagate_answers(features, answers, k);
    REQUIRE(lent);

    std::vector<char> answered(images, 0);
    for (const auto& a : answers) answered[a.sample] = 1;
    std::map<std::int64_t, int> expected;
    for (const auto& a : answers) {
        std::vector<std::pair<double, std::int64_t>> similar;
        for (std::int64_t j = 0; j < images; ++j) {
            if (answered[j]) continue;
            double dot = 0.0;
            for (std::int64_t d = 0; d < dims; ++d) dot += static_cast<double>(features(a.sample, d)) * features(j, d);
            similar.push_back({-dot, j});
        }
        std::sort(similar.begin(), similar.end());
        for (int n = 0; n < k; ++n) {
            const auto [it, fresh] = expected.emplace(similar[n].second, a.cluster);
            if (!fresh && it->second != a.cluster) it->second = -1;
        }
    }
    std::vector<LentLabel> oracle;
    for (const auto& [sample, cluster] : expected) if (cluster >= 0) oracle.push_back({sample, cluster});
    REQUIRE(lent->size() == oracle.size());
    for (std::size_t i = 0; i < oracle.size(); ++i) {
        CHECK((*lent)[i].sample == oracle[i].sample);
        CHECK((*lent)[i].cluster == oracle[i].cluster);
    }
}

TEST_CASE("the pseudo-label table keeps seeded labels over confident predictions", "[unit][idc]") {
    corral::detail::PseudoLabelTable table(6, 3, 10);
    table.seed(torch::tensor({1, 4}, torch::kInt64), torch::tensor({2, 0}, torch::kInt64));
    const auto samples = torch::tensor({0, 1, 4, 5}, torch::kInt64);
    // Every prediction is confident and says cluster 1.
    const auto probabilities = torch::tensor({0.0f, 1.0f, 0.0f}).repeat({4, 1});
    table.admit(samples, probabilities, 0.5);
    const auto labels = table.labels_of(torch::tensor({0, 1, 2, 3, 4, 5}, torch::kInt64));
    const std::vector<std::int64_t> got(labels.data_ptr<std::int64_t>(), labels.data_ptr<std::int64_t>() + labels.numel());
    CHECK(got == std::vector<std::int64_t>{1, 2, -1, -1, 0, 1});
    CHECK(table.labelled() == 4);
}
