// What the questions show about an image and its candidate clusters, beyond the round itself:
// the size of the image's dense neighbourhood and the typical members of a cluster.
#include <algorithm>

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
    const auto centre = active->centres.row(cluster);
    std::vector<std::pair<float, std::int64_t>> ranked;  // similarity to the centre, item
    for (std::size_t i = 0; i < assignment.size() && static_cast<std::int64_t>(i) < features.rows(); ++i) {
        if (assignment[i] != cluster) continue;
        const auto row = features.row(static_cast<std::int64_t>(i));
        float similarity = 0.0f;
        for (std::size_t d = 0; d < row.size(); ++d) similarity += row[d] * centre[d];
        ranked.emplace_back(similarity, static_cast<std::int64_t>(i));
    }
    // Nearest first, ties to the later item: the order centres_and_exemplars gives a question's exemplars.
    const auto nearer = [](const auto& a, const auto& b) { return a > b; };
    const std::size_t kept = count == 0 ? ranked.size() : std::min(count, ranked.size());
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(kept), ranked.end(), nearer);
    std::vector<std::int64_t> members;
    members.reserve(kept);
    for (std::size_t k = 0; k < kept; ++k) members.push_back(ranked[k].second);
    return members;
}

}  // namespace corral
