#include "corral/core/matrix.h"

#include <algorithm>
#include <cmath>

namespace corral {

FloatMatrix FloatMatrix::sharing(std::int64_t rows, std::int64_t cols, const float* values,
                                 std::shared_ptr<const void> owner) {
    FloatMatrix matrix;
    matrix.rows_ = rows;
    matrix.cols_ = cols;
    if (matrix.size() == 0) return matrix;
    matrix.mapped_ = values;
    matrix.mapping_ = std::move(owner);
    return matrix;
}

std::vector<float>& FloatMatrix::owned() {
    if (mapped_) {
        values_.assign(mapped_, mapped_ + size());
        mapped_ = nullptr;
        mapping_.reset();
    }
    return values_;
}

FloatMatrix FloatMatrix::select_rows(std::span<const std::int64_t> indices) const {
    FloatMatrix result(static_cast<std::int64_t>(indices.size()), cols_);
    for (std::size_t i = 0; i < indices.size(); ++i) {
        auto source = row(indices[i]);
        std::copy(source.begin(), source.end(), result.row(static_cast<std::int64_t>(i)).begin());
    }
    return result;
}

bool operator==(const FloatMatrix& a, const FloatMatrix& b) {
    const auto left = a.values();
    const auto right = b.values();
    return a.rows() == b.rows() && a.cols() == b.cols() && std::equal(left.begin(), left.end(), right.begin(), right.end());
}

namespace {

double squared_norm(std::span<const float> values) {
    double squared = 0.0;
    for (float v : values) squared += static_cast<double>(v) * v;
    return squared;
}

// Within float rounding of 1 (what scaling by 1/sqrt would produce anyway).
bool is_unit(double squared) { return squared <= 0.0 || std::abs(squared - 1.0) <= 1e-6; }

}  // namespace

void normalize_rows(FloatMatrix& matrix) {
    const FloatMatrix& reading = matrix;
    bool all_unit = true;
    for (std::int64_t r = 0; r < reading.rows() && all_unit; ++r) all_unit = is_unit(squared_norm(reading.row(r)));
    if (all_unit) return;
    for (std::int64_t r = 0; r < matrix.rows(); ++r) {
        auto values = matrix.row(r);
        const double squared = squared_norm(values);
        if (squared <= 0.0) continue;
        const float scale = static_cast<float>(1.0 / std::sqrt(squared));
        for (float& v : values) v *= scale;
    }
}

}  // namespace corral
