#pragma once
// The simulated user of the IDC benchmarks (DESIGN §4): ground-truth classes are mapped to
// clusters once, by the Hungarian method on the pre-trained predictions; a query is answered
// positive with the mapped cluster when it is among the candidates, else negative.
#include <span>
#include <vector>

#include "corral/core/expected.h"
#include "corral/core/queries.h"

namespace corral {

class SimulatedUser {
public:
    // `truth`: class per sample (-1 = unknown, answered with skip); `initial_assignment`: the
    // pre-trained clustering's cluster per sample, with `clusters` clusters. Fails with
    // invalid_argument when the lengths differ.
    static Expected<SimulatedUser> create(std::span<const int> truth, std::span<const int> initial_assignment,
                                          int clusters);

    Answer answer(const Query& query) const;
    std::vector<Answer> answer_all(std::span<const Query> queries) const;
    // The cluster standing for a class (-1 when the class got none).
    int cluster_of_class(int label) const;

private:
    std::vector<int> truth_;
    std::vector<int> class_to_cluster_;
};

}  // namespace corral
