#pragma once
// Private to core: Algorithm 1 of IDC, the greedy maximisation of v_i = base_i + w_d * d_i with
// d_i = min_{j in S} log(1 - z_i . z_j) (0 while S is empty; S starts with the seeds). Three implementations that pick the
// same samples in the same order (ties go to the lower index); see GreedyMethod.
#include <torch/torch.h>

#include <vector>

#include "corral/core/expected.h"
#include "corral/core/job.h"
#include "corral/core/value_mining.h"

namespace corral::detail {

struct GreedyProblem {
    torch::Tensor points;              // float32 [N, D], CPU, contiguous, rows L2-normalised
    std::vector<double> base_value;    // N: w_h h_i + w_r r_i
    double diversity_weight = 0.0;     // w_d >= 0
    const std::vector<char>* eligible = nullptr;  // N: 0 = never pick (already answered)
    std::vector<std::int64_t> seeds;   // members of S before the first pick (earlier rounds' answers)
};

struct GreedyResult {
    std::vector<std::int64_t> picks;
    std::int64_t evaluations = 0;  // log(1 - z_i . z_j) terms computed
};

Expected<GreedyResult> run_greedy(GreedyMethod method, const GreedyProblem& problem, int count, const JobContext& job);

// d of each pick against the seeds and the picks before it (0 for the first when there are no seeds).
std::vector<double> diversity_along(const GreedyProblem& problem, const std::vector<std::int64_t>& picks);

}  // namespace corral::detail
