// What the questions show about an image and its candidate clusters, beyond the round itself:
// the size of the image's dense neighbourhood and the typical members of a cluster.
#include "corral/core/interactive_session.h"
#include "session/session_state.h"

namespace corral {

std::optional<std::int64_t> InteractiveSession::similar_images(const SessionQuery& query) const {
    if (!(query.neighbour_distance_squared > 0.0)) return std::nullopt;
    const auto active = state_->snapshot();
    auto& last = state_->last_neighbourhood;
    // The view asks again on every refresh of the same question; the count only changes with
    // the features, so one pass per question is enough.
    if (last.features.lock() == active->features && last.distance_squared == query.neighbour_distance_squared &&
        last.sample == query.sample) {
        return last.count;
    }
    auto counted = count_neighbours_within(*active->features, query.sample, query.neighbour_distance_squared);
    if (!counted) return std::nullopt;
    last = {active->features, query.neighbour_distance_squared, query.sample, *counted};
    return *counted;
}

std::vector<std::int64_t> InteractiveSession::typical_members(int cluster, std::size_t count) const {
    const auto active = state_->snapshot();
    const auto& assignment = active->record.assignment;
    if (cluster < 0 || cluster >= active->centres.rows()) return {};
    const FloatMatrix& features = *active->features;
    std::vector<std::int64_t> members;
    for (std::size_t i = 0; i < assignment.size() && static_cast<std::int64_t>(i) < features.rows(); ++i) {
        if (assignment[i] == cluster) members.push_back(static_cast<std::int64_t>(i));
    }
    // The ranking that picks a question's exemplars, so the first members shown are those exemplars.
    return session_detail::nearest_to_centre(features, members, active->centres.row(cluster), count);
}

}  // namespace corral
