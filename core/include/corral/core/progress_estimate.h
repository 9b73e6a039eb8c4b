#pragma once
// How long a job has left, from its progress reports alone. A job's fraction done is as even
// in time as its stage shares are true (building a project measures them, build_stages.h), and
// reports arrive unevenly (per file, per chunk, per epoch). The estimate projects the finish
// time from the rate over the run (the recent kRecentShare of it; the whole run: on a shared
// machine whose speed changes from minute to minute, shorter windows swung more, measured on
// real builds) and lets the projection follow with a lag that grows with the run but gives way
// to a jump of the fraction, so that after the first tenth of a job the time left stays within
// a factor of two when the stage shares are roughly right (tests/core/progress_estimate_test.cpp).
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
