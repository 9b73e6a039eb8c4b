#include "corral/core/simulated_user.h"

#include <algorithm>

#include "corral/core/metrics.h"

namespace corral {

Expected<SimulatedUser> SimulatedUser::create(std::span<const int> truth, std::span<const int> initial_assignment,
                                              int clusters) {
    if (truth.size() != initial_assignment.size()) {
        return make_error(ErrorCode::invalid_argument, "simulated user: truth and assignment differ in length");
    }
    if (clusters < 1) return make_error(ErrorCode::invalid_argument, "simulated user: no clusters");
    SimulatedUser user;
    user.truth_.assign(truth.begin(), truth.end());
    const auto cluster_to_class = best_cluster_to_class_map(truth, initial_assignment);
    const int classes = truth.empty() ? 0 : *std::max_element(truth.begin(), truth.end()) + 1;
    user.class_to_cluster_.assign(static_cast<std::size_t>(std::max(classes, 0)), -1);
    for (std::size_t cluster = 0; cluster < cluster_to_class.size(); ++cluster) {
        const int label = cluster_to_class[cluster];
        if (label >= 0 && label < classes && static_cast<int>(cluster) < clusters) {
            user.class_to_cluster_[static_cast<std::size_t>(label)] = static_cast<int>(cluster);
        }
    }
    return user;
}

int SimulatedUser::cluster_of_class(int label) const {
    if (label < 0 || label >= static_cast<int>(class_to_cluster_.size())) return -1;
    return class_to_cluster_[static_cast<std::size_t>(label)];
}

Answer SimulatedUser::answer(const Query& query) const {
    if (query.sample < 0 || query.sample >= static_cast<std::int64_t>(truth_.size())) return Answer::skip(query.sample);
    const int label = truth_[static_cast<std::size_t>(query.sample)];
    if (label < 0) return Answer::skip(query.sample);
    const int cluster = cluster_of_class(label);
    for (const auto& candidate : query.candidates) {
        if (cluster >= 0 && candidate.cluster == cluster) return Answer::positive(query.sample, cluster);
    }
    return Answer::negative(query);
}

std::vector<Answer> SimulatedUser::answer_all(std::span<const Query> queries) const {
    std::vector<Answer> answers;
    answers.reserve(queries.size());
    for (const auto& query : queries) answers.push_back(answer(query));
    return answers;
}

}  // namespace corral
