#include "idc/greedy_selection.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>
#include <span>

namespace corral::detail {
namespace {

// Two identical samples would give log(0); the floor keeps the term finite (and very negative).
constexpr double kDiversityFloor = 1e-12;

// One arithmetic for every greedy method, so that they compute bit-identical values and hence
// identical picks: a fixed summation order (16 float lanes, reduced in double), which the
// compiler vectorises without reassociating anything.
double diversity_term(const float* a, const float* b, std::int64_t dimension) {
    constexpr int kLanes = 16;
    float lanes[kLanes] = {};
    std::int64_t k = 0;
    for (; k + kLanes <= dimension; k += kLanes) {
        for (int lane = 0; lane < kLanes; ++lane) lanes[lane] += a[k + lane] * b[k + lane];
    }
    double dot = 0.0;
    for (int lane = 0; lane < kLanes; ++lane) dot += lanes[lane];
    for (; k < dimension; ++k) dot += static_cast<double>(a[k]) * b[k];
    return std::log(std::max(1.0 - dot, kDiversityFloor));
}

struct View {
    const float* data;
    std::int64_t n;
    std::int64_t dimension;
    const float* row(std::int64_t i) const { return data + i * dimension; }
};

View view_of(const GreedyProblem& problem) {
    return {problem.points.data_ptr<float>(), problem.points.size(0), problem.points.size(1)};
}

bool is_eligible(const GreedyProblem& problem, std::int64_t i) {
    return (*problem.eligible)[static_cast<std::size_t>(i)] != 0;
}

// The first pick (S empty, d = 0 for all): the highest base value, lowest index on ties.
std::int64_t first_pick(const GreedyProblem& problem) {
    std::int64_t best = -1;
    double best_value = -std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < problem.base_value.size(); ++i) {
        if (!(*problem.eligible)[i]) continue;
        if (best < 0 || problem.base_value[i] > best_value) {
            best = static_cast<std::int64_t>(i);
            best_value = problem.base_value[i];
        }
    }
    return best;
}

// Without diversity the greedy is a sort; both methods share it.
GreedyResult top_by_base_value(const GreedyProblem& problem, int count) {
    std::vector<std::int64_t> candidates;
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(problem.base_value.size()); ++i) {
        if (is_eligible(problem, i)) candidates.push_back(i);
    }
    const auto kept = std::min<std::size_t>(candidates.size(), static_cast<std::size_t>(count));
    std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(kept), candidates.end(),
                      [&](std::int64_t a, std::int64_t b) {
                          const double va = problem.base_value[static_cast<std::size_t>(a)];
                          const double vb = problem.base_value[static_cast<std::size_t>(b)];
                          return va != vb ? va > vb : a < b;
                      });
    candidates.resize(kept);
    return {candidates, 0};
}

// The highest current value among available samples, lowest index on ties (-1 if none).
std::int64_t best_available(const GreedyProblem& problem, const std::vector<char>& available,
                            const std::vector<double>& diversity, bool any_picked) {
    std::int64_t best = -1;
    double best_value = -std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < available.size(); ++i) {
        if (!available[i]) continue;
        const double value = problem.base_value[i] + problem.diversity_weight * (any_picked ? diversity[i] : 0.0);
        if (best < 0 || value > best_value) {
            best = static_cast<std::int64_t>(i);
            best_value = value;
        }
    }
    return best;
}

// Folds the members of S listed in `members` into every available sample's d.
void fold_into_diversity(const View& points, const std::vector<char>& available, std::span<const std::int64_t> members,
                         std::vector<double>& diversity) {
    if (members.empty()) return;
    at::parallel_for(0, points.n, 2048, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            if (!available[static_cast<std::size_t>(i)]) continue;
            auto& d = diversity[static_cast<std::size_t>(i)];
            for (const auto member : members) d = std::min(d, diversity_term(points.row(i), points.row(member), points.dimension));
        }
    });
}

std::int64_t count_available(const std::vector<char>& available) {
    std::int64_t count = 0;
    for (const char a : available) count += a;
    return count;
}

Expected<GreedyResult> incremental_greedy(const GreedyProblem& problem, int count, const JobContext& job) {
    const auto points = view_of(problem);
    std::vector<char> available(problem.eligible->begin(), problem.eligible->end());
    std::vector<double> diversity(static_cast<std::size_t>(points.n), std::numeric_limits<double>::infinity());
    GreedyResult result;
    fold_into_diversity(points, available, problem.seeds, diversity);
    result.evaluations += count_available(available) * static_cast<std::int64_t>(problem.seeds.size());
    for (int m = 0; m < count; ++m) {
        if (job.stop_requested()) return cancelled_error();
        const bool any_in_s = !result.picks.empty() || !problem.seeds.empty();
        const std::int64_t best = best_available(problem, available, diversity, any_in_s);
        if (best < 0) break;
        result.picks.push_back(best);
        available[static_cast<std::size_t>(best)] = 0;
        fold_into_diversity(points, available, std::span<const std::int64_t>(&best, 1), diversity);
        result.evaluations += count_available(available);
        job.report(static_cast<double>(m + 1) / count, "selecting samples");
    }
    return result;
}

Expected<GreedyResult> recompute_greedy(const GreedyProblem& problem, int count, const JobContext& job) {
    const auto points = view_of(problem);
    std::vector<char> available(problem.eligible->begin(), problem.eligible->end());
    std::vector<double> diversity(static_cast<std::size_t>(points.n), 0.0);
    std::vector<std::int64_t> members(problem.seeds.begin(), problem.seeds.end());  // S
    GreedyResult result;
    for (int m = 0; m < count; ++m) {
        if (job.stop_requested()) return cancelled_error();
        at::parallel_for(0, points.n, 256, [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) {
                if (!available[static_cast<std::size_t>(i)]) continue;
                double d = std::numeric_limits<double>::infinity();
                for (const auto member : members) d = std::min(d, diversity_term(points.row(i), points.row(member), points.dimension));
                diversity[static_cast<std::size_t>(i)] = d;
            }
        });
        result.evaluations += count_available(available) * static_cast<std::int64_t>(members.size());
        const std::int64_t best = best_available(problem, available, diversity, !members.empty());
        if (best < 0) break;
        members.push_back(best);
        result.picks.push_back(best);
        available[static_cast<std::size_t>(best)] = 0;
        job.report(static_cast<double>(m + 1) / count, "selecting samples");
    }
    return result;
}

Expected<GreedyResult> lazy_greedy(const GreedyProblem& problem, int count, const JobContext& job) {
    GreedyResult result;
    if (count <= 0) return result;
    std::vector<std::int64_t> members(problem.seeds.begin(), problem.seeds.end());  // S
    if (members.empty()) {
        const std::int64_t first = first_pick(problem);
        if (first < 0) return result;
        result.picks.push_back(first);
        members.push_back(first);
    }
    const auto points = view_of(problem);

    // Once every eligible sample's d holds all of S so far, d only falls as S grows, so a stored
    // value is an upper bound and the heap top, once fresh, is the true maximum.
    struct Entry {
        double value;
        std::int64_t sample;
    };
    const auto lower_priority = [](const Entry& a, const Entry& b) {
        return a.value != b.value ? a.value < b.value : a.sample > b.sample;
    };
    std::vector<char> pending(problem.eligible->begin(), problem.eligible->end());
    for (const auto pick : result.picks) pending[static_cast<std::size_t>(pick)] = 0;
    std::vector<double> diversity(static_cast<std::size_t>(points.n), std::numeric_limits<double>::infinity());
    fold_into_diversity(points, pending, members, diversity);
    // How many members of S each sample's d holds.
    std::vector<std::size_t> evaluated_against(static_cast<std::size_t>(points.n), members.size());
    std::vector<Entry> entries;
    for (std::int64_t i = 0; i < points.n; ++i) {
        if (!pending[static_cast<std::size_t>(i)]) continue;
        result.evaluations += static_cast<std::int64_t>(members.size());
        entries.push_back({problem.base_value[static_cast<std::size_t>(i)] +
                               problem.diversity_weight * diversity[static_cast<std::size_t>(i)],
                           i});
    }
    std::priority_queue<Entry, std::vector<Entry>, decltype(lower_priority)> heap(lower_priority, std::move(entries));
    while (static_cast<int>(result.picks.size()) < count && !heap.empty()) {
        if (job.stop_requested()) return cancelled_error();
        const Entry top = heap.top();
        heap.pop();
        const auto i = static_cast<std::size_t>(top.sample);
        if (evaluated_against[i] == members.size()) {
            result.picks.push_back(top.sample);
            members.push_back(top.sample);
            job.report(static_cast<double>(result.picks.size()) / count, "selecting samples");
            continue;
        }
        for (auto s = evaluated_against[i]; s < members.size(); ++s) {
            diversity[i] = std::min(diversity[i], diversity_term(points.row(top.sample), points.row(members[s]), points.dimension));
            ++result.evaluations;
        }
        evaluated_against[i] = members.size();
        heap.push({problem.base_value[i] + problem.diversity_weight * diversity[i], top.sample});
    }
    return result;
}

}  // namespace

Expected<GreedyResult> run_greedy(GreedyMethod method, const GreedyProblem& problem, int count, const JobContext& job) {
    if (problem.diversity_weight == 0.0) return top_by_base_value(problem, count);
    switch (method) {
        case GreedyMethod::incremental: return incremental_greedy(problem, count, job);
        case GreedyMethod::recompute: return recompute_greedy(problem, count, job);
        case GreedyMethod::lazy: break;
    }
    return lazy_greedy(problem, count, job);
}

std::vector<double> diversity_along(const GreedyProblem& problem, const std::vector<std::int64_t>& picks) {
    const auto points = view_of(problem);
    std::vector<double> result(picks.size(), 0.0);
    const std::int64_t first = problem.seeds.empty() ? 1 : 0;
    at::parallel_for(first, static_cast<std::int64_t>(picks.size()), 16, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t m = begin; m < end; ++m) {
            double d = std::numeric_limits<double>::infinity();
            for (const auto seed : problem.seeds) {
                d = std::min(d, diversity_term(points.row(picks[static_cast<std::size_t>(m)]), points.row(seed), points.dimension));
            }
            for (std::int64_t s = 0; s < m; ++s) {
                d = std::min(d, diversity_term(points.row(picks[static_cast<std::size_t>(m)]),
                                               points.row(picks[static_cast<std::size_t>(s)]), points.dimension));
            }
            result[static_cast<std::size_t>(m)] = d;
        }
    });
    return result;
}

}  // namespace corral::detail
