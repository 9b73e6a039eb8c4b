// The time-left estimate on synthetic progress reports: a job of known length reports its
// fraction done as real jobs do (evenly, unevenly weighted stages, in bursts, with a stall), and
// after the first 10 % the projected total must stay within a factor of two of the truth and
// never swing by more than two between its lowest and highest value.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <vector>

#include "corral/core/progress_estimate.h"

using namespace corral;

namespace {

struct Stage {
    double fraction_share;  // of the progress bar
    double seconds;         // it really takes
    double report_every;    // seconds between reports
};

struct Report {
    double elapsed;
    double fraction;
};

// Reports of a job made of `stages`, each reporting its own progress linearly in time, with the
// report times jittered by up to `jitter` of the interval.
std::vector<Report> simulate(const std::vector<Stage>& stages, double jitter, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> unit(-1.0, 1.0);
    std::vector<Report> reports;
    double start_seconds = 0.0, start_fraction = 0.0;
    for (const auto& stage : stages) {
        for (double t = stage.report_every; t < stage.seconds + 1e-9; t += stage.report_every) {
            const double when = std::min(stage.seconds, std::max(0.0, t + jitter * stage.report_every * unit(rng)));
            reports.push_back({start_seconds + when, start_fraction + stage.fraction_share * when / stage.seconds});
        }
        reports.push_back({start_seconds + stage.seconds, start_fraction + stage.fraction_share});
        start_seconds += stage.seconds;
        start_fraction += stage.fraction_share;
    }
    std::sort(reports.begin(), reports.end(), [](const Report& a, const Report& b) { return a.elapsed < b.elapsed; });
    return reports;
}

double total_seconds(const std::vector<Stage>& stages) {
    double total = 0.0;
    for (const auto& stage : stages) total += stage.seconds;
    return total;
}

struct Band {
    double lowest = 1e300;
    double highest = 0.0;
    int estimates = 0;
};

// The projected totals after the first 10 % (of the progress) of the run.
Band projected_totals(const std::vector<Report>& reports) {
    RemainingTimeEstimator estimator;
    Band band;
    for (const auto& report : reports) {
        estimator.add(report.elapsed, report.fraction);
        const auto total = estimator.projected_total_seconds();
        if (report.fraction < 0.1 || !total) continue;
        band.lowest = std::min(band.lowest, *total);
        band.highest = std::max(band.highest, *total);
        ++band.estimates;
    }
    return band;
}

void check_honest(const std::vector<Stage>& stages, double jitter, double tolerance) {
    const double truth = total_seconds(stages);
    for (unsigned seed = 1; seed <= 5; ++seed) {
        const auto band = projected_totals(simulate(stages, jitter, seed));
        INFO("seed " << seed << ": projected " << band.lowest << " .. " << band.highest << " s, truth " << truth << " s");
        REQUIRE(band.estimates > 10);
        CHECK(band.highest / band.lowest <= 2.0);
        CHECK(band.lowest >= truth / tolerance);
        CHECK(band.highest <= truth * tolerance);
    }
}

}  // namespace

TEST_CASE("an evenly progressing job gets an accurate time left", "[unit][progress]") {
    check_honest({{1.0, 120.0, 0.2}}, 0.4, 1.1);
}

TEST_CASE("stages off their weights by 1.5x keep the time left within a factor of two", "[unit][progress]") {
    // Listing, checking, encoding, clustering: each stage's real time per share of the bar is
    // between 1/1.5 and 1.5 times the average, as measured weights leave it.
    const std::vector<Stage> stages = {{0.03, 1.0, 0.1}, {0.30, 14.0, 0.25}, {0.40, 40.0, 0.5}, {0.27, 18.0, 1.0}};
    check_honest(stages, 0.3, 2.0);
    // The slow stage first, then a fast one.
    check_honest({{0.5, 60.0, 0.3}, {0.5, 27.0, 0.3}}, 0.3, 2.0);
}

TEST_CASE("progress that comes in bursts gives a steady time left", "[unit][progress]") {
    // Reports per chunk of 4096 images, every 6 s, in a job of two minutes.
    check_honest({{0.1, 12.0, 6.0}, {0.9, 108.0, 6.0}}, 0.0, 1.3);
}

TEST_CASE("a stalled job's time left grows gradually, not at once", "[unit][progress]") {
    // Half way, nothing is reported for 10 % of the run (a large file, a slow disk).
    const std::vector<Stage> stages = {{0.5, 50.0, 0.5}, {0.0, 10.0, 10.0}, {0.5, 50.0, 0.5}};
    check_honest(stages, 0.2, 1.5);
}

TEST_CASE("the estimate waits for enough progress and ends at zero", "[unit][progress]") {
    RemainingTimeEstimator estimator;
    CHECK_FALSE(estimator.remaining_seconds());
    estimator.add(0.1, 0.01);
    CHECK_FALSE(estimator.remaining_seconds());  // too early to tell
    estimator.add(1.0, 0.1);
    REQUIRE(estimator.remaining_seconds());
    CHECK(*estimator.remaining_seconds() == Approx(9.0).epsilon(0.1));
    // Going back in time or in progress changes nothing.
    estimator.add(0.5, 0.5);
    estimator.add(2.0, 0.05);
    CHECK(*estimator.projected_total_seconds() > 2.0);
    estimator.add(3.0, 1.0);
    CHECK(*estimator.remaining_seconds() == 0.0);
}
