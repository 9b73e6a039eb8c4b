// The project store must never lose an acknowledged answer: writers are SIGKILLed at random
// points, hundreds of times, and every answer they acknowledged must be there on reopening.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <sstream>

#include "corral/core/project.h"
#include "project_helper_process.h"
#include "test_support.h"

namespace {

using namespace corral;
using corral::testing::HelperProcess;
using corral::testing::TempDir;

struct Acknowledged {
    std::map<std::int64_t, std::int64_t> sample_of;  // answer id -> sample
    std::set<std::int64_t> undone;
    int kills = 0;
    int kills_mid_stream = 0;  // kills of a writer that had already acknowledged answers
};

void collect(const HelperProcess& helper, Acknowledged& acknowledged) {
    bool answered_since_kill = false;
    for (const auto& line : helper.lines()) {
        std::istringstream in(line);
        std::string tag;
        in >> tag;
        if (tag == "A") {
            std::int64_t id = 0, sample = 0;
            in >> id >> sample;
            acknowledged.sample_of[id] = sample;
            answered_since_kill = true;
        } else if (tag == "U") {
            std::int64_t id = 0;
            in >> id;
            acknowledged.undone.insert(id);
        } else if (tag == "K") {
            ++acknowledged.kills;
            acknowledged.kills_mid_stream += answered_since_kill ? 1 : 0;
            answered_since_kill = false;
        } else {
            FAIL("unexpected helper output: " << line);
        }
    }
}

// Returns the number of query rounds the writers went through.
std::size_t check_nothing_lost(const std::filesystem::path& folder, const Acknowledged& acknowledged) {
    auto project = Project::open(folder);
    REQUIRE(project);
    REQUIRE((*project)->check_integrity());
    auto answers = (*project)->answers(true);
    REQUIRE(answers);
    std::map<std::int64_t, const AnswerRecord*> stored;
    for (const auto& answer : *answers) stored[answer.id] = &answer;
    std::int64_t missing = 0;
    std::int64_t wrong = 0;
    for (const auto& [id, sample] : acknowledged.sample_of) {
        auto found = stored.find(id);
        if (found == stored.end()) {
            ++missing;
        } else if (found->second->sample != sample || found->second->shown_candidates != std::vector<int>{1, 2, 3}) {
            ++wrong;
        }
    }
    std::int64_t undo_lost = 0;
    for (auto id : acknowledged.undone) undo_lost += stored.count(id) && stored[id]->undone ? 0 : 1;
    CHECK(missing == 0);
    CHECK(wrong == 0);
    CHECK(undo_lost == 0);
    // The position advanced with every acknowledged answer and went back with every undo, in the
    // same transactions: each round's position is the number of its active answers, and those
    // answered its samples in order (the helper answers the sample at the round's position).
    auto rounds = (*project)->rounds();
    REQUIRE(rounds);
    std::map<std::int64_t, std::vector<const AnswerRecord*>> active_by_round;
    for (const auto& answer : *answers) {
        if (answer.round_id && !answer.undone) active_by_round[*answer.round_id].push_back(&answer);
    }
    std::int64_t wrong_positions = 0;
    std::int64_t out_of_order = 0;
    for (const auto& round : *rounds) {
        const auto& active = active_by_round[round.id];
        wrong_positions += round.position == static_cast<std::int64_t>(active.size()) ? 0 : 1;
        for (std::size_t k = 0; k < active.size() && k < round.samples.size(); ++k) {
            out_of_order += active[k]->sample == round.samples[k].sample ? 0 : 1;
        }
        if (round.status == RoundStatus::closed) CHECK(round.position == static_cast<std::int64_t>(round.samples.size()));
    }
    CHECK(wrong_positions == 0);
    CHECK(out_of_order == 0);
    auto resume = (*project)->resume_state();
    REQUIRE(resume);
    if (resume->open_round) {
        CHECK(resume->open_round->position >= 0);
        CHECK(resume->open_round->position <= static_cast<std::int64_t>(resume->open_round->samples.size()));
    }
    return rounds->size();
}

}  // namespace

TEST_CASE("answers acknowledged before a SIGKILL survive it, hundreds of times", "[slow][store]") {
    TempDir scratch;
    const auto folder = scratch / "killed.corral";
    Acknowledged acknowledged;
    // Short delays first: kills during project creation, opening and migration.
    {
        HelperProcess helper({"kill-loop", folder.string(), "40", "7", "30000"});
        helper.wait();
        collect(helper, acknowledged);
    }
    // Then writers killed mid-stream, in several batches that each reopen the survivor.
    for (int batch = 0; batch < 4; ++batch) {
        HelperProcess helper({"kill-loop", folder.string(), "70", std::to_string(100 + batch), "100000"});
        helper.wait();
        collect(helper, acknowledged);
        CHECK(check_nothing_lost(folder, acknowledged) >= 1);
    }
    // And a few writers started as processes of their own and killed by this test.
    for (int kill = 0; kill < 5; ++kill) {
        HelperProcess helper({"answers", folder.string()});
        for (int waited = 0; waited < 100 && std::count(helper.output().begin(), helper.output().end(), '\n') < 5 + kill * 3;
             ++waited) {
            helper.read_available(100);
        }
        helper.kill_now();
        helper.wait();
        collect(helper, acknowledged);
        ++acknowledged.kills;
        ++acknowledged.kills_mid_stream;
    }
    const std::size_t rounds = check_nothing_lost(folder, acknowledged);
    WARN("kills: " << acknowledged.kills << " (" << acknowledged.kills_mid_stream
                   << " mid-stream), acknowledged answers checked: " << acknowledged.sample_of.size()
                   << ", acknowledged undos checked: " << acknowledged.undone.size() << ", rounds completed or open: "
                   << rounds);
    // About 2,700 answers of 200-query rounds: the rounds really advance and are finished.
    CHECK(rounds >= 5);
    CHECK(acknowledged.kills >= 300);
    CHECK(acknowledged.kills_mid_stream >= 150);
    CHECK(acknowledged.sample_of.size() >= 1000);
    // No half-built project folders are left beside it once a creation has succeeded.
    for (const auto& entry : std::filesystem::directory_iterator(scratch.path())) {
        CHECK(entry.path().filename().string().find(".creating-") == std::string::npos);
    }
}
