#include "corral/core/matrix.h"

#include <algorithm>
#include <cmath>

namespace corral {

FloatMatrix FloatMatrix::select_rows(std::span<const std::int64_t> indices) const {
    FloatMatrix result(static_cast<std::int64_t>(indices.size()), cols_);
    for (std::size_t i = 0; i < indices.size(); ++i) {
        auto source = row(indices[i]);
        std::copy(source.begin(), source.end(), result.row(static_cast<std::int64_t>(i)).begin());
    }
    return result;
}

void normalize_rows(FloatMatrix& matrix) {
    for (std::int64_t r = 0; r < matrix.rows(); ++r) {
        auto values = matrix.row(r);
        double squared = 0.0;
        for (float v : values) squared += static_cast<double>(v) * v;
        if (squared <= 0.0) continue;
        const float scale = static_cast<float>(1.0 / std::sqrt(squared));
        for (float& v : values) v *= scale;
    }
}

}  // namespace corral
