#include "tsne/interpolated_repulsion.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>
#include <torch/fft.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

namespace corral::detail {
namespace {

// Work items (of a few flops each) below which a loop runs on the calling thread: a parallel
// region costs tens of microseconds on idle cores, and a scheduler time slice (milliseconds)
// when other processes hold the cores, which would dominate small maps' iterations.
constexpr std::int64_t kParallelGrain = 1 << 18;

// FFT sizes with only the prime factors 2, 3 and 5 transform several times faster than sizes
// with a large prime factor.
std::int64_t smooth_size_at_least(std::int64_t size) {
    for (;; ++size) {
        std::int64_t rest = size;
        for (const std::int64_t prime : {2, 3, 5}) {
            while (rest % prime == 0) rest /= prime;
        }
        if (rest == 1) return size;
    }
}

struct Bounds {
    double low = 0.0;
    double extent = 0.0;
};

// One square box for both dimensions (as FIt-SNE): the kernel is then the same on both axes.
Bounds layout_bounds(std::span<const double> layout) {
    const auto [low, high] = std::minmax_element(layout.begin(), layout.end());
    if (low == layout.end()) return {};
    return {*low, *high - *low};
}

// Lagrange basis polynomials on nodes (k + 1/2) / p of the unit interval.
class LagrangeBasis {
public:
    explicit LagrangeBasis(int points) : nodes_(static_cast<std::size_t>(points)), scales_(nodes_.size()) {
        for (int k = 0; k < points; ++k) nodes_[static_cast<std::size_t>(k)] = (k + 0.5) / points;
        for (std::size_t k = 0; k < nodes_.size(); ++k) {
            double denominator = 1.0;
            for (std::size_t m = 0; m < nodes_.size(); ++m) {
                if (m != k) denominator *= nodes_[k] - nodes_[m];
            }
            scales_[k] = 1.0 / denominator;
        }
    }
    void evaluate(double t, double* weights) const {
        for (std::size_t k = 0; k < nodes_.size(); ++k) {
            double product = scales_[k];
            for (std::size_t m = 0; m < nodes_.size(); ++m) {
                if (m != k) product *= t - nodes_[m];
            }
            weights[k] = product;
        }
    }

private:
    std::vector<double> nodes_;
    std::vector<double> scales_;
};

// K and K^2 sampled at every grid offset, laid out for a circular convolution of size `fft` that
// equals the linear one on the first `grid` nodes: offset a sits at a, offset -a at fft - a.
torch::Tensor circulant_kernels(std::int64_t grid, std::int64_t fft, double spacing) {
    std::vector<double> squared_offsets(static_cast<std::size_t>(fft), -1.0);  // -1: unused slot
    for (std::int64_t a = 0; a < grid; ++a) {
        const double offset_squared = (a * spacing) * (a * spacing);
        squared_offsets[static_cast<std::size_t>(a)] = offset_squared;
        if (a > 0) squared_offsets[static_cast<std::size_t>(fft - a)] = offset_squared;
    }
    // Allocated and zeroed here rather than by torch::zeros, whose fill is a parallel region.
    auto kernels = torch::from_blob(new float[static_cast<std::size_t>(2 * fft * fft)](), {2, fft, fft},
                                    [](void* data) { delete[] static_cast<float*>(data); }, torch::kFloat32);
    float* cauchy = kernels.data_ptr<float>();
    float* squared = cauchy + fft * fft;
    at::parallel_for(0, fft, std::max<std::int64_t>(1, kParallelGrain / fft), [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t a = begin; a < end; ++a) {
            const double row = squared_offsets[static_cast<std::size_t>(a)];
            if (row < 0) continue;
            for (std::int64_t b = 0; b < fft; ++b) {
                const double column = squared_offsets[static_cast<std::size_t>(b)];
                if (column < 0) continue;
                const double value = 1.0 / (1.0 + row + column);
                cauchy[a * fft + b] = static_cast<float>(value);
                squared[a * fft + b] = static_cast<float>(value * value);
            }
        }
    });
    return kernels;
}

// The potentials sum_g' K(node_g - node_g') charge(g') for K = Cauchy (charge 1) and K^2
// (charges 1, y_1, y_2), by 2-D FFTs of size fft x fft. Torch transforms a plane on one thread,
// so the planes are spread over the intra-op threads, one transform each.
// `charges`: [3, fft, fft], zero outside [0, grid)^2; `kernels`: [2, fft, fft].
// Returns [4, fft, fft]; the potentials at the nodes are in [0, grid)^2.
torch::Tensor convolve(const torch::Tensor& charges, const torch::Tensor& kernels) {
    const std::int64_t fft = charges.size(1);
    const std::int64_t half = fft / 2 + 1;
    const std::int64_t plane = fft * half;
    auto spectra = torch::empty({5, fft, half}, torch::kComplexFloat);
    at::parallel_for(0, 5, 1, [&](std::int64_t begin, std::int64_t end) {
        c10::InferenceMode guard;  // grad mode is per thread
        for (std::int64_t p = begin; p < end; ++p) {
            spectra[p].copy_(torch::fft::rfft2(p < 3 ? charges[p] : kernels[p - 3]));
        }
    });
    auto products = torch::empty({4, fft, half}, torch::kComplexFloat);
    using Complex = c10::complex<float>;
    const Complex* charge = spectra.data_ptr<Complex>();
    const Complex* kernel = charge + 3 * plane;
    Complex* product = products.data_ptr<Complex>();
    at::parallel_for(0, plane, kParallelGrain, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t f = begin; f < end; ++f) {
            const Complex cauchy = kernel[f], squared = kernel[plane + f];
            product[f] = charge[f] * cauchy;
            product[plane + f] = charge[f] * squared;
            product[2 * plane + f] = charge[plane + f] * squared;
            product[3 * plane + f] = charge[2 * plane + f] * squared;
        }
    });
    auto potentials = torch::empty({4, fft, fft}, torch::kFloat32);
    at::parallel_for(0, 4, 1, [&](std::int64_t begin, std::int64_t end) {
        c10::InferenceMode guard;
        for (std::int64_t p = begin; p < end; ++p) {
            potentials[p].copy_(torch::fft::irfft2(products[p], std::vector<std::int64_t>{fft, fft}));
        }
    });
    return potentials;
}

}  // namespace

int InterpolatedRepulsion::intervals_for(std::span<const double> layout) const {
    // The cap bounds the grid's memory (ten planes of (2 x 3 x 400)^2 doubles, 0.4 GB) should a
    // layout blow up; real layouts of a million points stay below it.
    constexpr double kMaxIntervals = 400;
    const double wanted = std::ceil(layout_bounds(layout).extent * settings_.intervals_per_unit);
    return std::max(settings_.min_intervals, static_cast<int>(std::min(wanted, kMaxIntervals)));
}

double InterpolatedRepulsion::compute(std::span<const double> layout, std::span<double> forces) const {
    const std::int64_t n = static_cast<std::int64_t>(layout.size() / 2);
    const int p = settings_.points_per_interval;
    const std::size_t up = static_cast<std::size_t>(p);
    const Bounds bounds = layout_bounds(layout);
    const int intervals = intervals_for(layout);
    const double box = std::max(bounds.extent, 1e-12) / intervals;
    const std::int64_t grid = static_cast<std::int64_t>(intervals) * p;
    const std::int64_t fft = smooth_size_at_least(2 * grid);
    const LagrangeBasis basis(p);

    // Each point's first grid node per dimension and its p interpolation weights per dimension.
    std::vector<std::int64_t> first_node(static_cast<std::size_t>(2 * n));
    std::vector<double> weights(static_cast<std::size_t>(2 * n) * up);
    at::parallel_for(0, 2 * n, kParallelGrain / 8, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t c = begin; c < end; ++c) {
            const double scaled = (layout[static_cast<std::size_t>(c)] - bounds.low) / box;
            const int interval = std::min(static_cast<int>(scaled), intervals - 1);
            first_node[static_cast<std::size_t>(c)] = static_cast<std::int64_t>(interval) * p;
            basis.evaluate(scaled - interval, weights.data() + static_cast<std::size_t>(c) * up);
        }
    });

    // Charges 1, y_1, y_2 spread onto the grid. Each x-interval owns its p grid rows, so the
    // intervals spread in parallel without conflicts; the points are bucketed by interval (a
    // counting sort that keeps index order), so every node sums in the same order on any
    // number of threads.
    std::vector<std::int64_t> bucket_begin(static_cast<std::size_t>(intervals) + 1, 0);
    for (std::int64_t i = 0; i < n; ++i) ++bucket_begin[static_cast<std::size_t>(first_node[static_cast<std::size_t>(2 * i)] / p) + 1];
    std::partial_sum(bucket_begin.begin(), bucket_begin.end(), bucket_begin.begin());
    std::vector<std::int64_t> by_interval(static_cast<std::size_t>(n));
    {
        std::vector<std::int64_t> fill(bucket_begin.begin(), bucket_begin.end() - 1);
        for (std::int64_t i = 0; i < n; ++i) {
            by_interval[static_cast<std::size_t>(fill[static_cast<std::size_t>(first_node[static_cast<std::size_t>(2 * i)] / p)]++)] = i;
        }
    }
    auto charges = torch::from_blob(new float[static_cast<std::size_t>(3 * fft * fft)](), {3, fft, fft},
                                    [](void* data) { delete[] static_cast<float*>(data); }, torch::kFloat32);
    float* charge = charges.data_ptr<float>();
    const std::int64_t charge_plane = fft * fft;
    const std::int64_t work_per_interval = 3 * p * p * n / intervals + 1;
    at::parallel_for(0, intervals, std::max<std::int64_t>(1, kParallelGrain / work_per_interval), [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t e = bucket_begin[static_cast<std::size_t>(begin)]; e < bucket_begin[static_cast<std::size_t>(end)]; ++e) {
            const std::int64_t i = by_interval[static_cast<std::size_t>(e)];
            const double* wx = weights.data() + static_cast<std::size_t>(2 * i) * up;
            const double* wy = wx + up;
            const std::int64_t x0 = first_node[static_cast<std::size_t>(2 * i)];
            const std::int64_t y0 = first_node[static_cast<std::size_t>(2 * i + 1)];
            const double coordinate_x = layout[static_cast<std::size_t>(2 * i)];
            const double coordinate_y = layout[static_cast<std::size_t>(2 * i + 1)];
            for (int kx = 0; kx < p; ++kx) {
                for (int ky = 0; ky < p; ++ky) {
                    const double w = wx[kx] * wy[ky];
                    const std::int64_t node = (x0 + kx) * fft + (y0 + ky);
                    charge[node] += static_cast<float>(w);
                    charge[charge_plane + node] += static_cast<float>(w * coordinate_x);
                    charge[2 * charge_plane + node] += static_cast<float>(w * coordinate_y);
                }
            }
        }
    });
    const auto potentials = convolve(charges, circulant_kernels(grid, fft, box / p));
    const float* potential = potentials.data_ptr<float>();
    const std::int64_t plane = fft * fft;

    std::vector<double> cauchy_sums(static_cast<std::size_t>(n));
    at::parallel_for(0, n, kParallelGrain / 32, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            const double* wx = weights.data() + static_cast<std::size_t>(2 * i) * up;
            const double* wy = wx + up;
            const std::int64_t x0 = first_node[static_cast<std::size_t>(2 * i)];
            const std::int64_t y0 = first_node[static_cast<std::size_t>(2 * i + 1)];
            double phi[4] = {0.0, 0.0, 0.0, 0.0};
            for (int kx = 0; kx < p; ++kx) {
                for (int ky = 0; ky < p; ++ky) {
                    const double w = wx[kx] * wy[ky];
                    const std::int64_t node = (x0 + kx) * fft + (y0 + ky);
                    for (int term = 0; term < 4; ++term) phi[term] += w * potential[term * plane + node];
                }
            }
            cauchy_sums[static_cast<std::size_t>(i)] = phi[0];
            forces[static_cast<std::size_t>(2 * i)] = layout[static_cast<std::size_t>(2 * i)] * phi[1] - phi[2];
            forces[static_cast<std::size_t>(2 * i + 1)] = layout[static_cast<std::size_t>(2 * i + 1)] * phi[1] - phi[3];
        }
    });
    double normalisation = 0.0;
    for (const double sum : cauchy_sums) normalisation += sum;
    return normalisation - static_cast<double>(n);  // less the self terms K(y_i, y_i) = 1
}

double exact_repulsion(std::span<const double> layout, std::span<double> forces) {
    const std::int64_t n = static_cast<std::int64_t>(layout.size() / 2);
    std::vector<double> cauchy_sums(static_cast<std::size_t>(n));
    at::parallel_for(0, n, 64, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            const double xi = layout[static_cast<std::size_t>(2 * i)];
            const double yi = layout[static_cast<std::size_t>(2 * i + 1)];
            double sum = 0.0, fx = 0.0, fy = 0.0;
            for (std::int64_t j = 0; j < n; ++j) {
                if (j == i) continue;
                const double dx = xi - layout[static_cast<std::size_t>(2 * j)];
                const double dy = yi - layout[static_cast<std::size_t>(2 * j + 1)];
                const double kernel = 1.0 / (1.0 + dx * dx + dy * dy);
                sum += kernel;
                fx += kernel * kernel * dx;
                fy += kernel * kernel * dy;
            }
            cauchy_sums[static_cast<std::size_t>(i)] = sum;
            forces[static_cast<std::size_t>(2 * i)] = fx;
            forces[static_cast<std::size_t>(2 * i + 1)] = fy;
        }
    });
    double normalisation = 0.0;
    for (const double sum : cauchy_sums) normalisation += sum;
    return normalisation;
}

double exact_normalisation(std::span<const double> layout) {
    std::vector<double> forces(layout.size());
    return exact_repulsion(layout, forces);
}

}  // namespace corral::detail
