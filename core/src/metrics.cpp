#include "corral/core/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

namespace corral {
namespace {

// Contingency table between relabelled (dense 0..k-1) truth and prediction, ignoring items
// whose true label is negative.
struct Contingency {
    int classes = 0;
    int clusters = 0;
    std::int64_t total = 0;
    std::vector<std::int64_t> counts;  // classes x clusters
    std::vector<std::int64_t> class_sizes;
    std::vector<std::int64_t> cluster_sizes;
    std::vector<int> cluster_values;  // original label of each dense cluster index
    std::vector<int> class_values;

    std::int64_t at(int c, int k) const { return counts[static_cast<std::size_t>(c) * clusters + k]; }
};

Contingency contingency(std::span<const int> truth, std::span<const int> predicted) {
    if (truth.size() != predicted.size()) throw std::invalid_argument("label vectors differ in length");
    std::map<int, int> class_index, cluster_index;
    for (std::size_t i = 0; i < truth.size(); ++i) {
        if (truth[i] < 0) continue;
        class_index.emplace(truth[i], 0);
        cluster_index.emplace(predicted[i], 0);
    }
    Contingency table;
    for (auto& [value, index] : class_index) { index = table.classes++; table.class_values.push_back(value); }
    for (auto& [value, index] : cluster_index) { index = table.clusters++; table.cluster_values.push_back(value); }
    table.counts.assign(static_cast<std::size_t>(table.classes) * table.clusters, 0);
    table.class_sizes.assign(static_cast<std::size_t>(table.classes), 0);
    table.cluster_sizes.assign(static_cast<std::size_t>(table.clusters), 0);
    for (std::size_t i = 0; i < truth.size(); ++i) {
        if (truth[i] < 0) continue;
        const int c = class_index[truth[i]], k = cluster_index[predicted[i]];
        ++table.counts[static_cast<std::size_t>(c) * table.clusters + k];
        ++table.class_sizes[static_cast<std::size_t>(c)];
        ++table.cluster_sizes[static_cast<std::size_t>(k)];
        ++table.total;
    }
    return table;
}

double entropy(const std::vector<std::int64_t>& sizes, std::int64_t total) {
    double h = 0.0;
    for (auto size : sizes) {
        if (size == 0) continue;
        const double p = static_cast<double>(size) / total;
        h -= p * std::log(p);
    }
    return h;
}

// The 2x2 pair confusion matrix of sklearn: {tn, fp, fn, tp} over ordered pairs.
struct PairCounts {
    __int128 tn = 0, fp = 0, fn = 0, tp = 0;
};

PairCounts pair_counts(const Contingency& table) {
    __int128 sum_squares = 0, rows_dot = 0, cols_dot = 0;
    for (int c = 0; c < table.classes; ++c) {
        for (int k = 0; k < table.clusters; ++k) {
            const __int128 n = table.at(c, k);
            sum_squares += n * n;
            rows_dot += n * table.cluster_sizes[static_cast<std::size_t>(k)];
            cols_dot += n * table.class_sizes[static_cast<std::size_t>(c)];
        }
    }
    PairCounts pairs;
    const __int128 total = table.total;
    pairs.tp = sum_squares - total;
    pairs.fp = rows_dot - sum_squares;
    pairs.fn = cols_dot - sum_squares;
    pairs.tn = total * total - pairs.fp - pairs.fn - sum_squares;
    return pairs;
}

}  // namespace

double normalized_mutual_information(std::span<const int> truth, std::span<const int> predicted) {
    const Contingency table = contingency(truth, predicted);
    // Both labelings without entropy (one class, one cluster, or no items) match perfectly.
    if (table.classes == table.clusters && table.classes <= 1) return 1.0;
    const double n = static_cast<double>(table.total);
    double mi = 0.0;
    for (int c = 0; c < table.classes; ++c) {
        for (int k = 0; k < table.clusters; ++k) {
            const double nck = static_cast<double>(table.at(c, k));
            if (nck == 0) continue;
            const double term = nck / n *
                                (std::log(nck) + std::log(n) - std::log(static_cast<double>(table.class_sizes[c])) -
                                 std::log(static_cast<double>(table.cluster_sizes[k])));
            if (std::abs(term) >= std::numeric_limits<double>::epsilon()) mi += term;
        }
    }
    mi = std::max(mi, 0.0);
    if (mi == 0.0) return 0.0;
    const double normalizer = 0.5 * (entropy(table.class_sizes, table.total) + entropy(table.cluster_sizes, table.total));
    return mi / normalizer;
}

double adjusted_rand_index(std::span<const int> truth, std::span<const int> predicted) {
    const PairCounts p = pair_counts(contingency(truth, predicted));
    if (p.fn == 0 && p.fp == 0) return 1.0;
    const long double numerator = 2.0L * static_cast<long double>(p.tp * p.tn - p.fn * p.fp);
    const long double denominator = static_cast<long double>((p.tp + p.fn) * (p.fn + p.tn) + (p.tp + p.fp) * (p.fp + p.tn));
    return static_cast<double>(numerator / denominator);
}

double rand_index(std::span<const int> truth, std::span<const int> predicted) {
    const PairCounts p = pair_counts(contingency(truth, predicted));
    const __int128 agree = p.tn + p.tp, all = p.tn + p.fp + p.fn + p.tp;
    if (agree == all || all == 0) return 1.0;
    return static_cast<double>(static_cast<long double>(agree) / static_cast<long double>(all));
}

std::vector<int> solve_assignment(std::span<const double> cost, int rows, int cols) {
    if (rows > cols) throw std::invalid_argument("solve_assignment needs rows <= cols");
    // Shortest augmenting paths with row/column potentials (Kuhn-Munkres in O(rows^2 cols)),
    // 1-based with a virtual column 0 that holds the row being inserted.
    const double infinity = std::numeric_limits<double>::infinity();
    std::vector<double> row_potential(static_cast<std::size_t>(rows) + 1, 0.0);
    std::vector<double> col_potential(static_cast<std::size_t>(cols) + 1, 0.0);
    std::vector<int> row_of_col(static_cast<std::size_t>(cols) + 1, 0), previous_col(static_cast<std::size_t>(cols) + 1, 0);
    for (int row = 1; row <= rows; ++row) {
        row_of_col[0] = row;
        int col0 = 0;
        std::vector<double> min_slack(static_cast<std::size_t>(cols) + 1, infinity);
        std::vector<char> used(static_cast<std::size_t>(cols) + 1, 0);
        do {
            used[col0] = 1;
            const int row0 = row_of_col[col0];
            double delta = infinity;
            int next_col = 0;
            for (int col = 1; col <= cols; ++col) {
                if (used[col]) continue;
                const double slack = cost[static_cast<std::size_t>(row0 - 1) * cols + (col - 1)] -
                                     row_potential[row0] - col_potential[col];
                if (slack < min_slack[col]) { min_slack[col] = slack; previous_col[col] = col0; }
                if (min_slack[col] < delta) { delta = min_slack[col]; next_col = col; }
            }
            for (int col = 0; col <= cols; ++col) {
                if (used[col]) { row_potential[row_of_col[col]] += delta; col_potential[col] -= delta; }
                else min_slack[col] -= delta;
            }
            col0 = next_col;
        } while (row_of_col[col0] != 0);
        do {
            const int col1 = previous_col[col0];
            row_of_col[col0] = row_of_col[col1];
            col0 = col1;
        } while (col0 != 0);
    }
    std::vector<int> assignment(static_cast<std::size_t>(rows), -1);
    for (int col = 1; col <= cols; ++col) {
        if (row_of_col[col] != 0) assignment[static_cast<std::size_t>(row_of_col[col] - 1)] = col - 1;
    }
    return assignment;
}

namespace {

// Assignment between dense clusters and dense classes maximising matched items.
// Returns, per dense cluster, the dense class (-1 if none).
std::vector<int> match_clusters(const Contingency& table) {
    const bool clusters_are_rows = table.clusters <= table.classes;
    const int rows = clusters_are_rows ? table.clusters : table.classes;
    const int cols = clusters_are_rows ? table.classes : table.clusters;
    std::vector<double> cost(static_cast<std::size_t>(rows) * cols);
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
            const auto count = clusters_are_rows ? table.at(c, r) : table.at(r, c);
            cost[static_cast<std::size_t>(r) * cols + c] = -static_cast<double>(count);
        }
    }
    const std::vector<int> assignment = solve_assignment(cost, rows, cols);
    std::vector<int> class_of_cluster(static_cast<std::size_t>(table.clusters), -1);
    for (int r = 0; r < rows; ++r) {
        if (clusters_are_rows) class_of_cluster[r] = assignment[r];
        else class_of_cluster[assignment[r]] = r;
    }
    return class_of_cluster;
}

}  // namespace

double clustering_accuracy(std::span<const int> truth, std::span<const int> predicted) {
    const Contingency table = contingency(truth, predicted);
    if (table.total == 0) return 1.0;
    const std::vector<int> class_of_cluster = match_clusters(table);
    std::int64_t matched = 0;
    for (int k = 0; k < table.clusters; ++k) {
        if (class_of_cluster[k] >= 0) matched += table.at(class_of_cluster[k], k);
    }
    return static_cast<double>(matched) / table.total;
}

std::vector<int> best_cluster_to_class_map(std::span<const int> truth, std::span<const int> predicted) {
    const Contingency table = contingency(truth, predicted);
    const std::vector<int> dense = match_clusters(table);
    int max_cluster = -1;
    for (int value : table.cluster_values) max_cluster = std::max(max_cluster, value);
    std::vector<int> map(static_cast<std::size_t>(max_cluster + 1), -1);
    for (int k = 0; k < table.clusters; ++k) {
        if (table.cluster_values[k] >= 0 && dense[k] >= 0) map[table.cluster_values[k]] = table.class_values[dense[k]];
    }
    return map;
}

ClusteringScores score_clustering(std::span<const int> truth, std::span<const int> predicted) {
    ClusteringScores scores;
    scores.nmi = normalized_mutual_information(truth, predicted);
    scores.acc = clustering_accuracy(truth, predicted);
    scores.ari = adjusted_rand_index(truth, predicted);
    scores.ri = rand_index(truth, predicted);
    for (int label : truth) scores.evaluated += label >= 0;
    return scores;
}

}  // namespace corral
