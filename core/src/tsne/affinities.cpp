#include "tsne/affinities.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "knn.h"

namespace corral::detail {
namespace {

constexpr double kEntropyTolerance = 1e-5;
constexpr int kMaxSearchSteps = 100;

void calibrate_row(const float* squared_distances, int count, double target_entropy, double* affinities) {
    // Distances are shifted by the nearest one: the normalised affinities are unchanged, and the
    // exponentials cannot all underflow when the distances are large (raw pixels).
    const double nearest = *std::min_element(squared_distances, squared_distances + count);
    double beta = 1.0;
    double beta_low = -std::numeric_limits<double>::infinity();
    double beta_high = std::numeric_limits<double>::infinity();
    double sum = 0.0;
    for (int step = 0; step < kMaxSearchSteps; ++step) {
        sum = 0.0;
        double weighted = 0.0;
        for (int j = 0; j < count; ++j) {
            const double shifted = squared_distances[j] - nearest;
            affinities[j] = std::exp(-beta * shifted);
            sum += affinities[j];
            weighted += shifted * affinities[j];
        }
        const double entropy = std::log(sum) + beta * weighted / sum;
        const double difference = entropy - target_entropy;
        if (std::abs(difference) <= kEntropyTolerance) break;
        if (difference > 0) {
            beta_low = beta;
            beta = std::isinf(beta_high) ? beta * 2.0 : (beta + beta_high) / 2.0;
        } else {
            beta_high = beta;
            beta = std::isinf(beta_low) ? beta / 2.0 : (beta + beta_low) / 2.0;
        }
    }
    for (int j = 0; j < count; ++j) affinities[j] /= sum;
}

}  // namespace

Expected<NeighbourGraph> neighbour_graph(const torch::Tensor& points, int neighbours, const JobContext& job,
                                         KnnMethod method) {
    if (points.size(0) > std::numeric_limits<std::int32_t>::max()) {
        return make_error(ErrorCode::invalid_argument, "t-SNE: too many points for 32-bit neighbour indices");
    }
    KnnOptions options;
    options.method = method;
    auto table = nearest_neighbors(points, neighbours, SelfMatch::exclude, job, options);
    if (!table) return table.error();
    NeighbourGraph graph;
    graph.points = points.size(0);
    graph.neighbours = neighbours;
    const auto indices = table->indices.to(torch::kInt32).contiguous();
    const auto distances = table->squared_distances.contiguous();
    graph.indices.assign(indices.data_ptr<std::int32_t>(), indices.data_ptr<std::int32_t>() + indices.numel());
    graph.squared_distances.assign(distances.data_ptr<float>(), distances.data_ptr<float>() + distances.numel());
    return graph;
}

std::vector<double> conditional_affinities(const NeighbourGraph& graph, double perplexity) {
    const int k = graph.neighbours;
    std::vector<double> affinities(graph.squared_distances.size());
    const double target_entropy = std::log(perplexity);
    at::parallel_for(0, graph.points, 256, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            const std::size_t offset = static_cast<std::size_t>(i) * static_cast<std::size_t>(k);
            calibrate_row(graph.squared_distances.data() + offset, k, target_entropy, affinities.data() + offset);
        }
    });
    return affinities;
}

SparseAffinities symmetrise(const NeighbourGraph& graph, const std::vector<double>& conditional) {
    const std::int64_t n = graph.points;
    const std::size_t k = static_cast<std::size_t>(graph.neighbours);
    // Each directed edge i->j appears in row i and in row j; duplicates (mutual neighbours) merge.
    std::vector<std::int64_t> counts(static_cast<std::size_t>(n) + 1, 0);
    for (std::int64_t i = 0; i < n; ++i) {
        counts[static_cast<std::size_t>(i) + 1] += static_cast<std::int64_t>(k);
        for (std::size_t j = 0; j < k; ++j) ++counts[static_cast<std::size_t>(graph.indices[i * k + j]) + 1];
    }
    std::partial_sum(counts.begin(), counts.end(), counts.begin());
    std::vector<std::int64_t> fill(counts.begin(), counts.end() - 1);
    std::vector<std::pair<std::int32_t, double>> entries(static_cast<std::size_t>(counts.back()));
    for (std::int64_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < k; ++j) {
            const std::int32_t other = graph.indices[i * k + j];
            const double value = conditional[i * k + j];
            entries[static_cast<std::size_t>(fill[static_cast<std::size_t>(i)]++)] = {other, value};
            entries[static_cast<std::size_t>(fill[static_cast<std::size_t>(other)]++)] = {static_cast<std::int32_t>(i), value};
        }
    }
    // Merge duplicates within each row (in parallel), then compact.
    std::vector<std::int64_t> merged_counts(static_cast<std::size_t>(n), 0);
    const double scale = 1.0 / (2.0 * static_cast<double>(n));
    at::parallel_for(0, n, 1024, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            auto first = entries.begin() + counts[static_cast<std::size_t>(i)];
            auto last = entries.begin() + counts[static_cast<std::size_t>(i) + 1];
            std::sort(first, last);  // by column, then value: a fixed order for the sum
            auto out = first;
            for (auto it = first; it != last; ++it) {
                if (out != first && (out - 1)->first == it->first) (out - 1)->second += it->second;
                else *out++ = *it;
            }
            for (auto it = first; it != out; ++it) it->second *= scale;
            merged_counts[static_cast<std::size_t>(i)] = out - first;
        }
    });
    SparseAffinities result;
    result.points = n;
    result.row_offsets.assign(static_cast<std::size_t>(n) + 1, 0);
    std::partial_sum(merged_counts.begin(), merged_counts.end(), result.row_offsets.begin() + 1);
    result.columns.resize(static_cast<std::size_t>(result.row_offsets.back()));
    result.values.resize(result.columns.size());
    at::parallel_for(0, n, 1024, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            const auto source = counts[static_cast<std::size_t>(i)];
            const auto target = result.row_offsets[static_cast<std::size_t>(i)];
            for (std::int64_t e = 0; e < merged_counts[static_cast<std::size_t>(i)]; ++e) {
                result.columns[static_cast<std::size_t>(target + e)] = entries[static_cast<std::size_t>(source + e)].first;
                result.values[static_cast<std::size_t>(target + e)] =
                    static_cast<float>(entries[static_cast<std::size_t>(source + e)].second);
            }
        }
    });
    return result;
}

}  // namespace corral::detail
