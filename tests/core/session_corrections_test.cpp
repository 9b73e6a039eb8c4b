// Corrections as single steps: a multi-image move is one transaction and one undo, a merge
// empties a cluster, a new cluster grows the clustering (and goes again), and undo refuses
// answers that are no longer the newest.
#include <catch2/catch.hpp>

#include <algorithm>

#include "corral/core/dataset.h"
#include "corral/core/interactive_session.h"
#include "corral/core/project.h"
#include "test_support.h"

using namespace corral;

namespace {

SessionSettings tiny_settings() {
    SessionSettings settings;
    settings.dataset_spec = "fashion-mnist:test";
    settings.limit = 300;
    settings.encoder_spec = "pixels";
    settings.clusters = 5;
    settings.round_size = 4;
    settings.fine_tune_epochs = 3;
    return settings;
}

std::vector<std::int64_t> members(const InteractiveSession& session, int cluster) {
    std::vector<std::int64_t> items;
    const auto& assignment = session.clustering().assignment;
    for (std::size_t i = 0; i < assignment.size(); ++i) {
        if (assignment[i] == cluster) items.push_back(static_cast<std::int64_t>(i));
    }
    return items;
}

}  // namespace

TEST_CASE("corrections by hand are single steps that undo exactly", "[unit][session]") {
    if (!find_fashion_mnist()) {
        WARN("Fashion-MNIST is not installed (dataset-fashion-mnist); nothing to check");
        return;
    }
    testing::TempDir folder;
    const auto path = folder / "corrections.corral";
    auto created = InteractiveSession::create(path, tiny_settings(), {});
    REQUIRE(created);
    auto& session = **created;
    const auto before = session.clustering().assignment;

    SECTION("a multi-image move is one step; undo puts every image back") {
        auto from_zero = members(session, 0);
        REQUIRE(from_zero.size() >= 3);
        std::vector<std::int64_t> items(from_zero.begin(), from_zero.begin() + 3);
        items.push_back(members(session, 2).front());
        items.push_back(items.front());  // listed twice: moved once
        auto moved = session.move_images_together(items, 1);
        REQUIRE(moved);
        CHECK(moved->size() == 4);
        for (auto item : items) CHECK(session.clustering().assignment[static_cast<std::size_t>(item)] == 1);
        CHECK(session.active_answer_count() == 4);
        // Images already in the target are left out.
        auto again = session.move_images_together({items[0]}, 1);
        REQUIRE(again);
        CHECK(again->empty());

        auto undone = session.undo_answers(*moved);
        REQUIRE(undone);
        CHECK(undone->size() == 4);
        CHECK(session.clustering().assignment == before);
        CHECK(session.active_answer_count() == 0);
        // Undoing the same answers twice is refused, and changes nothing.
        CHECK_FALSE(session.undo_answers(*moved));
        // Stored: the reopened project has the restored assignment.
        created->reset();
        auto reopened = InteractiveSession::open(path, {});
        REQUIRE(reopened);
        CHECK((*reopened)->clustering().assignment == before);
    }

    SECTION("undo refuses answers that are not the newest") {
        auto first = session.move_images_together({members(session, 0).front()}, 1);
        auto second = session.move_images_together({members(session, 2).front()}, 3);
        REQUIRE(first);
        REQUIRE(second);
        auto refused = session.undo_answers(*first);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().code == ErrorCode::invalid_argument);
        CHECK(session.active_answer_count() == 2);
        REQUIRE(session.undo_answers(*second));
        REQUIRE(session.undo_answers(*first));
        CHECK(session.clustering().assignment == before);
    }

    SECTION("a merge empties one cluster into another, and undoes as one step") {
        const auto from = members(session, 3);
        const auto into = members(session, 4);
        auto merged = session.merge_clusters(3, 4);
        REQUIRE(merged);
        CHECK(merged->size() == from.size());
        CHECK(members(session, 3).empty());
        CHECK(members(session, 4).size() == from.size() + into.size());
        CHECK(session.clustering().cluster_count == 5);
        CHECK_FALSE(session.merge_clusters(4, 4));
        REQUIRE(session.undo_answers(*merged));
        CHECK(session.clustering().assignment == before);
    }

    SECTION("a new cluster grows the clustering, takes images, learns and goes again") {
        auto added = session.add_cluster("odd ones");
        REQUIRE(added);
        CHECK(*added == 5);
        CHECK(session.clustering().cluster_count == 6);
        CHECK(session.cluster_names()[5] == "odd ones");
        const auto in_first = members(session, 0);
        REQUIRE(in_first.size() >= 4);
        const std::vector<std::int64_t> items(in_first.begin(), in_first.begin() + 4);
        auto moved = session.move_images_together(items, 5);
        REQUIRE(moved);
        CHECK(members(session, 5).size() == 4);
        // Removing a cluster that holds images or is named by an answer is refused.
        CHECK_FALSE(session.remove_last_cluster());
        // A round and a fine-tune work with the grown clustering (the head is refitted to 6).
        auto plan = session.plan_round(4, {});
        REQUIRE(plan);
        for (const auto& sample : plan->samples) {
            for (int candidate : sample.candidates) CHECK(candidate < 6);
        }
        auto outcome = session.train({});
        REQUIRE(outcome);
        CHECK(outcome->assignment.size() == before.size());
        CHECK(*std::max_element(outcome->assignment.begin(), outcome->assignment.end()) <= 5);

        REQUIRE(session.undo_answers(*moved));
        REQUIRE(session.remove_last_cluster());
        CHECK(session.clustering().cluster_count == 5);
        CHECK(session.clustering().assignment == before);
        created->reset();
        auto reopened = InteractiveSession::open(path, {});
        REQUIRE(reopened);
        CHECK((*reopened)->clustering().cluster_count == 5);
        CHECK((*reopened)->cluster_names().size() == 5);
    }

    SECTION("undoing answers to questions steps the round back to the earliest") {
        auto plan = session.plan_round(4, {});
        REQUIRE(plan);
        REQUIRE(session.adopt_round(*plan));
        auto a = session.answer(AnswerKind::skip, -1);
        auto b = session.answer(AnswerKind::negative, -1);
        REQUIRE(a);
        REQUIRE(b);
        CHECK(session.current_query()->position == 2);
        REQUIRE(session.undo_answers({b->id}));
        CHECK(session.current_query()->position == 1);
        CHECK(session.current_query()->sample == plan->samples[1].sample);
        REQUIRE(session.undo_answers({a->id}));
        CHECK(session.current_query()->position == 0);
    }
}
