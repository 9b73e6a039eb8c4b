#pragma once
// The one job shape of core: long work takes a JobContext (progress sink + stop token) and
// returns Expected<Result>. Core runs jobs on the caller's thread; ui/ puts them on workers.
#include <chrono>
#include <functional>
#include <stop_token>
#include <string_view>

#include "corral/core/expected.h"

namespace corral {

// Called with fraction in [0, 1] and a short human-readable message. May be called from the
// job's thread at any rate; the receiver throttles if it needs to.
using ProgressFunction = std::function<void(double fraction, std::string_view message)>;

class JobContext {
public:
    JobContext() = default;
    JobContext(std::stop_token stop, ProgressFunction progress)
        : stop_(std::move(stop)), progress_(std::move(progress)) {}

    bool stop_requested() const { return stop_.stop_requested(); }
    void report(double fraction, std::string_view message) const {
        if (progress_) progress_(fraction, message);
    }
    // A sub-range [begin, end] of this job's progress, for a stage of a larger job.
    JobContext stage(double begin, double end) const;

    const std::stop_token& stop_token() const { return stop_; }

private:
    std::stop_token stop_;
    ProgressFunction progress_;
};

inline Error cancelled_error() { return make_error(ErrorCode::cancelled, "cancelled by the user"); }

// Wall-clock stopwatch for per-stage timings in reports.
class Stopwatch {
public:
    Stopwatch() : start_(std::chrono::steady_clock::now()) {}
    double elapsed_ms() const {
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
    }
    void restart() { start_ = std::chrono::steady_clock::now(); }

private:
    std::chrono::steady_clock::time_point start_;
};

}  // namespace corral
