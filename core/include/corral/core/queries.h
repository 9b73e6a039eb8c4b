#pragma once
// Queries of IDC (DESIGN §4): for each selected sample, the T clusters whose centres are most
// similar to it (cosine), each shown by up to E exemplars nearest its centre; the user answers
// with one of them (positive), "none of these" (negative for all T), or skips.
#include <cstdint>
#include <span>
#include <vector>

#include "corral/core/expected.h"
#include "corral/core/matrix.h"
#include "corral/core/project_types.h"  // AnswerKind, shared with the stored answers
#include "corral/core/value_mining.h"

namespace corral {

struct CandidateCluster {
    int cluster = 0;
    double similarity = 0.0;                 // cos(z_sample, c_cluster)
    std::vector<std::int64_t> exemplars;     // samples of this cluster nearest its centre, nearest first
};

struct Query {
    std::int64_t sample = 0;
    std::vector<CandidateCluster> candidates;  // most similar first
    SampleValue value;                         // why the sample was chosen
};

struct Answer {
    std::int64_t sample = 0;
    AnswerKind kind = AnswerKind::skip;
    int cluster = -1;                // positive: the chosen cluster
    std::vector<int> rejected;       // negative: every candidate shown (the sample is in none of them)

    static Answer positive(std::int64_t sample, int cluster) { return {sample, AnswerKind::positive, cluster, {}}; }
    static Answer negative(const Query& query);
    static Answer skip(std::int64_t sample) { return {sample, AnswerKind::skip, -1, {}}; }
};

struct QueryBuilderParams {
    int candidates = 5;  // T
    int exemplars = 4;   // per candidate cluster
};

class QueryBuilder {
public:
    explicit QueryBuilder(QueryBuilderParams params = {});

    // One query per pick of `selection`, in pick order. `features` N x D, `centres` C x D,
    // `assignment` N cluster indices in [0, C) (exemplars are members of the cluster they show).
    // Fails with invalid_argument on mismatched shapes or out-of-range indices.
    Expected<std::vector<Query>> build(const FloatMatrix& features, const FloatMatrix& centres,
                                       std::span<const int> assignment, const Selection& selection) const;

    const QueryBuilderParams& params() const { return params_; }

private:
    QueryBuilderParams params_;
};

}  // namespace corral
