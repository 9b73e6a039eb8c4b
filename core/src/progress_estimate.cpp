#include "corral/core/progress_estimate.h"

#include <algorithm>
#include <cmath>

namespace corral {
namespace {

constexpr double kMinFraction = 0.02;
constexpr double kMinSeconds = 0.5;
// The rate is taken over the last half of the run (at least this long): long enough to average
// out a stage's bursts, short enough to see a slower stage within a few tenths of the run.
constexpr double kRecentShare = 0.5;
constexpr double kMinWindowSeconds = 2.0;
// The projected finish time follows the raw projection with a time constant of this share of
// the run (at least kMinLagSeconds).
constexpr double kLagShare = 0.15;
constexpr double kMinLagSeconds = 1.0;
// Reports closer than this are merged (a job may report per image, thousands a second).
constexpr double kSpacingSeconds = 0.05;

}  // namespace

void RemainingTimeEstimator::add(double elapsed_seconds, double fraction) {
    if (!(elapsed_seconds >= last_elapsed_) || !std::isfinite(fraction)) return;
    fraction = std::clamp(std::max(fraction, last_fraction_), 0.0, 1.0);
    const double step = elapsed_seconds - last_elapsed_;
    last_elapsed_ = elapsed_seconds;
    last_fraction_ = fraction;
    if (history_.empty() || elapsed_seconds - history_.back().first >= kSpacingSeconds) {
        history_.emplace_back(elapsed_seconds, fraction);
    } else {
        history_.back().second = fraction;
    }
    const double window = std::max(kMinWindowSeconds, kRecentShare * elapsed_seconds);
    while (history_.size() > 2 && history_[1].first <= elapsed_seconds - window) history_.pop_front();
    if (fraction < kMinFraction || elapsed_seconds < kMinSeconds) return;

    const auto& [start_seconds, start_fraction] = history_.front();
    double rate = 0.0;
    if (elapsed_seconds - start_seconds > 1e-6 && fraction > start_fraction) {
        rate = (fraction - start_fraction) / (elapsed_seconds - start_seconds);
    }
    // Nothing moved within the window (a long step): no faster than the run's average.
    if (rate <= 0.0) rate = fraction / elapsed_seconds * 0.5;
    const double projected = elapsed_seconds + (1.0 - fraction) / rate;
    if (finish_ < 0.0) {
        finish_ = projected;
        return;
    }
    const double lag = std::max(kMinLagSeconds, kLagShare * elapsed_seconds);
    finish_ += (projected - finish_) * (1.0 - std::exp(-step / lag));
}

std::optional<double> RemainingTimeEstimator::remaining_seconds() const {
    if (finish_ < 0.0) return std::nullopt;
    if (last_fraction_ >= 1.0) return 0.0;
    return std::max(0.0, finish_ - last_elapsed_);
}

std::optional<double> RemainingTimeEstimator::projected_total_seconds() const {
    if (finish_ < 0.0) return std::nullopt;
    return std::max(finish_, last_elapsed_);
}

}  // namespace corral
