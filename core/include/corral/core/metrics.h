#pragma once
// Clustering quality against ground truth, computed exactly as scikit-learn does (to 1e-9):
// NMI with arithmetic normalisation, ARI, RI, and ACC (best one-to-one cluster->class map by
// the Hungarian method). Label values are arbitrary non-negative integers; the two vectors
// must have equal length. Items whose true label is negative are ignored.
#include <cstdint>
#include <span>
#include <vector>

namespace corral {

struct ClusteringScores {
    double nmi = 0.0;
    double acc = 0.0;
    double ari = 0.0;
    double ri = 0.0;
    std::int64_t evaluated = 0;  // items with a true label
};

double normalized_mutual_information(std::span<const int> truth, std::span<const int> predicted);
double adjusted_rand_index(std::span<const int> truth, std::span<const int> predicted);
double rand_index(std::span<const int> truth, std::span<const int> predicted);
double clustering_accuracy(std::span<const int> truth, std::span<const int> predicted);
ClusteringScores score_clustering(std::span<const int> truth, std::span<const int> predicted);

// For each predicted cluster, the class it maps to under the accuracy-maximising one-to-one
// assignment (-1 for clusters left without a class when there are more clusters than classes).
std::vector<int> best_cluster_to_class_map(std::span<const int> truth, std::span<const int> predicted);

// Minimum-cost assignment of rows to columns for a rows x cols cost matrix (rows <= cols),
// row-major. Returns the column given to each row. O(rows^2 * cols).
std::vector<int> solve_assignment(std::span<const double> cost, int rows, int cols);

}  // namespace corral
