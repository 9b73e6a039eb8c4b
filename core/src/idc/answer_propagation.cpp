#include "corral/core/answer_propagation.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "tensor_bridge.h"

namespace corral {

Expected<std::vector<LentLabel>> propagate_answers(const FloatMatrix& features, std::span<const Answer> answers,
                                                     int neighbours) {
    if (neighbours < 0) return make_error(ErrorCode::invalid_argument, "the number of neighbours must not be negative");
    const auto images = features.rows();
    std::vector<char> answered(static_cast<std::size_t>(images), 0);
    std::vector<std::int64_t> sources;
    std::vector<int> source_clusters;
    for (const auto& answer : answers) {
        if (answer.kind == AnswerKind::skip) continue;
        if (answer.sample < 0 || answer.sample >= images) {
            return make_error(ErrorCode::invalid_argument, "answer propagation: answered image out of range");
        }
        answered[static_cast<std::size_t>(answer.sample)] = 1;
        if (answer.kind == AnswerKind::positive) {
            sources.push_back(answer.sample);
            source_clusters.push_back(answer.cluster);
        }
    }
    std::vector<LentLabel> lent;
    if (neighbours == 0 || sources.empty() || images == 0) return lent;

    torch::NoGradGuard no_grad;
    const auto all = detail::to_tensor_view(features);
    const auto queries = all.index_select(0, torch::tensor(sources, torch::kInt64));
    // Answered images (the sources among them) must not be neighbours: they carry their own label.
    const auto excluded = torch::from_blob(answered.data(), {images}, torch::kChar).to(torch::kBool);
    const std::int64_t wanted = std::min<std::int64_t>(neighbours, images);
    std::map<std::int64_t, int> claims;  // sample -> cluster, -1 once answers disagree
    constexpr std::int64_t kQueryBlock = 256;  // bounds the similarity block to 256 x N floats
    for (std::int64_t begin = 0; begin < queries.size(0); begin += kQueryBlock) {
        const auto size = std::min(kQueryBlock, queries.size(0) - begin);
        auto similarity = queries.narrow(0, begin, size).matmul(all.t());
        similarity.masked_fill_(excluded.unsqueeze(0), -std::numeric_limits<float>::infinity());
        const auto [values, indices] = similarity.topk(wanted, 1);
        const auto index = indices.accessor<std::int64_t, 2>();
        const auto value = values.accessor<float, 2>();
        for (std::int64_t row = 0; row < size; ++row) {
            const int cluster = source_clusters[static_cast<std::size_t>(begin + row)];
            for (std::int64_t k = 0; k < wanted; ++k) {
                if (!std::isfinite(value[row][k])) break;  // fewer unanswered images than asked for
                const auto [claim, fresh] = claims.emplace(index[row][k], cluster);
                if (!fresh && claim->second != cluster) claim->second = -1;
            }
        }
    }
    for (const auto& [sample, cluster] : claims) {
        if (cluster >= 0) lent.push_back({sample, cluster});
    }
    return lent;
}

}  // namespace corral
