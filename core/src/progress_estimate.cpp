#include "corral/core/progress_estimate.h"

#include <algorithm>
#include <cmath>

namespace corral {
namespace {

constexpr double kMinFraction = 0.02;
constexpr double kMinSeconds = 0.5;
// The rate is taken over this share of the run (at least kMinWindowSeconds). Windows of 0.3 and
// 0.5 of the run reacted sooner to a stage slower than its share but swung 3-10x on real builds
// of a busy 2-core machine, where the whole run's average stayed within 2x.
constexpr double kRecentShare = 1.0;
constexpr double kMinWindowSeconds = 2.0;
// The projected finish time follows the raw projection with a time constant of this share of
// the run (at least kMinLagSeconds).
constexpr double kLagShare = 0.15;
constexpr double kMinLagSeconds = 1.0;
constexpr double kLagFraction = 0.05;
// Reports closer than this are merged (a job may report per image, thousands a second).
constexpr double kSpacingSeconds = 0.05;

}  // namespace

void RemainingTimeEstimator::add(double elapsed_seconds, double fraction) {
    if (!(elapsed_seconds >= last_elapsed_) || !std::isfinite(fraction)) return;
    fraction = std::clamp(std::max(fraction, last_fraction_), 0.0, 1.0);
    const double previous_fraction = last_fraction_;
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
    // Progress moves the projection as well as time: a jump of the fraction (a stage whose
    // share is now known) is news, not noise.
    const double lag = std::max(kMinLagSeconds, kLagShare * elapsed_seconds);
    finish_ += (projected - finish_) * (1.0 - std::exp(-step / lag - (fraction - previous_fraction) / kLagFraction));
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
