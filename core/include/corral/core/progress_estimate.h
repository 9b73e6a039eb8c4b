#pragma once
// How long a job has left, from its progress reports alone. A job's fraction done is only as
// even in time as its stage weights are true (see StagedProgress), and reports arrive unevenly
// (per file, per chunk, per epoch), so the estimate is neither the naive elapsed * (1 - f) / f
// (slow to notice a slower stage) nor the latest rate (jumpy): it projects the finish time from
// the rate over the recent half of the run, and lets that projected finish time move only
// gradually (the time constant grows with the run), so that after the first tenth of a job the
// time left does not swing by more than a factor of two when the weights are roughly right.
#include <deque>
#include <optional>
#include <utility>

namespace corral {

class RemainingTimeEstimator {
public:
    // The job was `fraction` done (0..1) `elapsed_seconds` after it started. Reports that go
    // back in time are ignored; a fraction below an earlier one counts as the earlier one.
    void add(double elapsed_seconds, double fraction);
    // Seconds left after the latest report, or nullopt until the job is far enough along to
    // tell (2 % done and half a second run).
    std::optional<double> remaining_seconds() const;
    // The projected total duration of the job, or nullopt like remaining_seconds.
    std::optional<double> projected_total_seconds() const;

private:
    std::deque<std::pair<double, double>> history_;  // (elapsed, fraction), thinned, oldest first
    double last_elapsed_ = 0.0;
    double last_fraction_ = 0.0;
    double finish_ = -1.0;  // smoothed projected finish time; < 0 before the first estimate
};

}  // namespace corral
