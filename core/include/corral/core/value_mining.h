#pragma once
// Value mining of IDC (DESIGN §4): which samples are worth asking the user about. Per sample:
//   hardness          h_i = log(1 - cos(z_i, c_g1) + cos(z_i, c_g2))   (near a boundary: high)
//   representativeness r_i = -log sum_{j in kNN_K(i), i itself included} ||z_i - z_j||^2
//   diversity         d_i = min_{j in S} log(1 - z_i . z_j)            (0 while S is empty)
// and v_i = w_h h_i + w_r r_i + w_d d_i, maximised greedily M times (Algorithm 1). Features are
// L2-normalised inside; centres are compared by cosine.
#include <cstdint>
#include <optional>
#include <string_view>
#include <span>
#include <vector>

#include "corral/core/expected.h"
#include "corral/core/job.h"
#include "corral/core/matrix.h"
#include "corral/core/nearest_neighbors.h"

namespace corral {

// Ablations of the paper: which terms the value uses, or a uniform random draw.
enum class SelectionStrategy { hard, hard_representative, hard_representative_diverse, random };
// "hard", "hard-rep", "hard-rep-div", "random": the names in project settings and on the command line.
std::string_view selection_strategy_name(SelectionStrategy strategy);
std::optional<SelectionStrategy> selection_strategy_from_name(std::string_view name);

// How Algorithm 1 is computed; all three pick the same samples in the same order.
//   lazy:        a max-heap of stale upper bounds, re-evaluated only when popped (a value only
//                falls as S grows); the default.
//   incremental: after each pick, every remaining sample's d is updated with the new pick.
//   recompute:   the plain greedy: each step recomputes every remaining d against all of S
//                (O(N |S| D) per step; the reference for tests and benchmarks).
enum class GreedyMethod { lazy, incremental, recompute };

struct ValueWeights {
    double hardness = 1.0;
    double representativeness = 1.0;
    double diversity = 1.0;  // must be >= 0 (the greedy relies on diversity never raising a value)
};

struct ValueMinerParams {
    ValueWeights weights;
    int neighbors = 20;  // K of representativeness
    // How its neighbours are found: exact below kApproximateKnnMinPoints samples (DESIGN §4),
    // from the approximate index at or above (docs/architecture.md, "Nearest neighbours").
    KnnMethod neighbor_method = KnnMethod::automatic;
    SelectionStrategy strategy = SelectionStrategy::hard_representative_diverse;
    GreedyMethod greedy = GreedyMethod::lazy;
    std::uint64_t seed = 0;  // for SelectionStrategy::random
};

// Why a sample was chosen: its terms at the moment it was picked (diversity against the picks before it).
struct SampleValue {
    std::int64_t sample = 0;
    double hardness = 0.0;
    double representativeness = 0.0;
    double diversity = 0.0;
    double value = 0.0;  // weighted sum of the terms the strategy uses
};

struct Selection {
    std::vector<SampleValue> picks;           // in pick order
    std::vector<double> hardness;             // per sample, all N
    std::vector<double> representativeness;   // per sample, all N (empty for strategies that do not use it)
    std::int64_t diversity_evaluations = 0;   // sample-vs-pick similarity computations of the greedy
    double scoring_ms = 0.0;                  // hardness and representativeness (kNN included)
    double neighbours_ms = 0.0;               // the kNN part of scoring_ms (0 when representativeness was reused)
    double greedy_ms = 0.0;
};

// What the terms mean for one image, in the units a person can read (the question's "why").
// The typical squared distance between an image and its neighbours: the median over images of
// the mean squared distance to their `neighbors` - 1 nearest others, recovered from
// representativeness values (r = -log of the sum over `neighbors` neighbours, the image itself
// one of them, as ValueMiner computes it with that K). 0 when `neighbors` < 2 or there are no values.
double typical_neighbour_distance_squared(std::span<const double> representativeness, int neighbors);

// How many images lie within `distance_squared` (squared Euclidean distance) of image `sample`,
// the image itself not counted: the size of its dense neighbourhood. `features` (N x D) must have
// L2-normalised rows, as a session's features do (they are read in place, not copied).
// O(N D). Fails with invalid_argument when `sample` is out of range.
Expected<std::int64_t> count_neighbours_within(const FloatMatrix& features, std::int64_t sample, double distance_squared);

class ValueMiner {
public:
    explicit ValueMiner(ValueMinerParams params = {});

    // Picks `count` samples of `features` (N x D) given the current cluster centres (C x D, C >= 2),
    // never one listed in `excluded` (already answered). `diversity_seeds` start the diversity set
    // S (the samples of earlier rounds), so the picks keep away from them too. Representativeness
    // depends only on the features, so it is kept and reused while the same features are passed
    // again. K is capped at N - 1 neighbours besides the point itself on tiny collections.
    // Fails with invalid_argument on mismatched shapes, indices out of range or a negative diversity weight.
    Expected<Selection> select(const FloatMatrix& features, const FloatMatrix& centres, int count,
                               std::span<const std::int64_t> excluded = {},
                               std::span<const std::int64_t> diversity_seeds = {}, const JobContext& job = {});

    const ValueMinerParams& params() const { return params_; }
    // New weights, strategy or greedy method; the kept representativeness stays valid unless K
    // or the neighbour method changes.
    void set_params(const ValueMinerParams& params);

private:
    ValueMinerParams params_;
    std::uint64_t cached_fingerprint_ = 0;
    std::vector<double> cached_representativeness_;
};

}  // namespace corral
