#include "corral/core/queries.h"

#include <torch/torch.h>

#include <cmath>
#include <string>

#include "tensor_bridge.h"

namespace corral {
namespace {

// Up to `count` members of each cluster, nearest its centre first.
std::vector<std::vector<std::int64_t>> cluster_exemplars(const torch::Tensor& similarities,
                                                         const torch::Tensor& assignment, int count) {
    const std::int64_t clusters = similarities.size(1);
    std::vector<std::vector<std::int64_t>> exemplars(static_cast<std::size_t>(clusters));
    if (count <= 0) return exemplars;
    const auto members = assignment.unsqueeze(1) == torch::arange(clusters, assignment.options()).unsqueeze(0);
    const auto masked = similarities.masked_fill(~members, -std::numeric_limits<float>::infinity());
    const std::int64_t kept = std::min<std::int64_t>(count, similarities.size(0));
    auto [values, indices] = masked.topk(kept, 0);
    values = values.to(torch::kCPU).contiguous();
    indices = indices.to(torch::kCPU).contiguous();
    for (std::int64_t k = 0; k < clusters; ++k) {
        for (std::int64_t e = 0; e < kept; ++e) {
            if (std::isinf(values[e][k].item<float>())) break;
            exemplars[static_cast<std::size_t>(k)].push_back(indices[e][k].item<std::int64_t>());
        }
    }
    return exemplars;
}

}  // namespace

Answer Answer::negative(const Query& query) {
    Answer answer{query.sample, AnswerKind::negative, -1, {}};
    for (const auto& candidate : query.candidates) answer.rejected.push_back(candidate.cluster);
    return answer;
}

QueryBuilder::QueryBuilder(QueryBuilderParams params) : params_(params) {}

Expected<std::vector<Query>> QueryBuilder::build(const FloatMatrix& features, const FloatMatrix& centres,
                                                 std::span<const int> assignment, const Selection& selection) const {
    const std::int64_t n = features.rows();
    const std::int64_t clusters = centres.rows();
    if (centres.cols() != features.cols() || clusters < 1) {
        return make_error(ErrorCode::invalid_argument, "queries: centres do not match the features");
    }
    if (static_cast<std::int64_t>(assignment.size()) != n) {
        return make_error(ErrorCode::invalid_argument, "queries: one cluster per sample is needed");
    }
    for (const int cluster : assignment) {
        if (cluster < 0 || cluster >= clusters) return make_error(ErrorCode::invalid_argument, "queries: cluster index out of range");
    }
    for (const auto& pick : selection.picks) {
        if (pick.sample < 0 || pick.sample >= n) return make_error(ErrorCode::invalid_argument, "queries: sample out of range");
    }
    if (params_.candidates < 1) return make_error(ErrorCode::invalid_argument, "queries: at least one candidate cluster");
    try {
        torch::InferenceMode inference;
        const auto device = detail::compute_device();
        const auto points = detail::normalized_rows(detail::to_tensor_view(features, device));
        const auto unit_centres = detail::normalized_rows(detail::to_tensor(centres, device));
        const auto similarities = points.mm(unit_centres.t());
        const auto labels = torch::from_blob(const_cast<int*>(assignment.data()), {n}, torch::kInt32)
                                .to(device, torch::kInt64);
        const auto exemplars = cluster_exemplars(similarities, labels, params_.exemplars);

        std::vector<std::int64_t> samples;
        for (const auto& pick : selection.picks) samples.push_back(pick.sample);
        const auto index = torch::tensor(samples, torch::TensorOptions().dtype(torch::kInt64)).to(device);
        const std::int64_t shown = std::min<std::int64_t>(params_.candidates, clusters);
        auto [top_values, top_clusters] = similarities.index_select(0, index).topk(shown, 1);
        top_values = top_values.to(torch::kCPU, torch::kFloat64).contiguous();
        top_clusters = top_clusters.to(torch::kCPU).contiguous();
        const auto* values = top_values.data_ptr<double>();
        const auto* cluster_ids = top_clusters.data_ptr<std::int64_t>();

        std::vector<Query> queries;
        queries.reserve(samples.size());
        for (std::size_t q = 0; q < samples.size(); ++q) {
            Query query;
            query.sample = samples[q];
            query.value = selection.picks[q];
            for (std::int64_t t = 0; t < shown; ++t) {
                CandidateCluster candidate;
                candidate.cluster = static_cast<int>(cluster_ids[q * shown + t]);
                candidate.similarity = values[q * shown + t];
                candidate.exemplars = exemplars[static_cast<std::size_t>(candidate.cluster)];
                query.candidates.push_back(std::move(candidate));
            }
            queries.push_back(std::move(query));
        }
        return queries;
    } catch (const c10::Error& error) {
        return make_error(ErrorCode::internal, std::string("queries: ") + error.what_without_backtrace());
    }
}

}  // namespace corral
