#pragma once
// A dense row-major float32 matrix: the plain type in which features, centres and maps cross
// core's public headers (no torch types there). Owns its storage.
#include <cstdint>
#include <span>
#include <vector>

namespace corral {

class FloatMatrix {
public:
    FloatMatrix() = default;
    FloatMatrix(std::int64_t rows, std::int64_t cols, float fill = 0.0f)
        : rows_(rows), cols_(cols), values_(static_cast<std::size_t>(rows * cols), fill) {}
    FloatMatrix(std::int64_t rows, std::int64_t cols, std::vector<float> values)
        : rows_(rows), cols_(cols), values_(std::move(values)) {}

    std::int64_t rows() const { return rows_; }
    std::int64_t cols() const { return cols_; }
    bool empty() const { return rows_ == 0 || cols_ == 0; }

    float* data() { return values_.data(); }
    const float* data() const { return values_.data(); }
    std::span<float> row(std::int64_t index) { return {values_.data() + index * cols_, static_cast<std::size_t>(cols_)}; }
    std::span<const float> row(std::int64_t index) const {
        return {values_.data() + index * cols_, static_cast<std::size_t>(cols_)};
    }
    float& operator()(std::int64_t r, std::int64_t c) { return values_[static_cast<std::size_t>(r * cols_ + c)]; }
    float operator()(std::int64_t r, std::int64_t c) const { return values_[static_cast<std::size_t>(r * cols_ + c)]; }

    const std::vector<float>& values() const { return values_; }
    std::vector<float>& values() { return values_; }

    // The rows at the given indices, in that order.
    FloatMatrix select_rows(std::span<const std::int64_t> indices) const;

private:
    std::int64_t rows_ = 0;
    std::int64_t cols_ = 0;
    std::vector<float> values_;
};

// Scales every row to unit Euclidean length (rows of zeros stay zero).
void normalize_rows(FloatMatrix& matrix);

}  // namespace corral
