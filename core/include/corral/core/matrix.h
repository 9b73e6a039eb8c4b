#pragma once
// A dense row-major float32 matrix: the plain type in which features, centres and maps cross
// core's public headers (no torch types there). Owns its storage, or shares a read-only mapping
// of a project file (map_matrix_file): reads go to the mapping, and the first mutable access
// copies it into owned storage (copy-on-write), so a mapped matrix behaves as a value.
#include <cstdint>
#include <memory>
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
    // A read-only view of rows*cols floats at `values`, kept alive by `owner` (a file mapping).
    static FloatMatrix sharing(std::int64_t rows, std::int64_t cols, const float* values, std::shared_ptr<const void> owner);

    std::int64_t rows() const { return rows_; }
    std::int64_t cols() const { return cols_; }
    std::size_t size() const { return static_cast<std::size_t>(rows_ * cols_); }
    bool empty() const { return rows_ == 0 || cols_ == 0; }
    // True while the values are read from a shared mapping (no mutable access has copied them).
    bool is_mapped() const { return mapped_ != nullptr; }

    float* data() { return owned().data(); }
    const float* data() const { return mapped_ ? mapped_ : values_.data(); }
    std::span<float> row(std::int64_t index) { return {data() + index * cols_, static_cast<std::size_t>(cols_)}; }
    std::span<const float> row(std::int64_t index) const {
        return {data() + index * cols_, static_cast<std::size_t>(cols_)};
    }
    float& operator()(std::int64_t r, std::int64_t c) { return data()[r * cols_ + c]; }
    float operator()(std::int64_t r, std::int64_t c) const { return data()[r * cols_ + c]; }

    std::span<const float> values() const { return {data(), size()}; }
    std::vector<float>& values() { return owned(); }

    // The rows at the given indices, in that order.
    FloatMatrix select_rows(std::span<const std::int64_t> indices) const;

    friend bool operator==(const FloatMatrix& a, const FloatMatrix& b);

private:
    std::vector<float>& owned();

    std::int64_t rows_ = 0;
    std::int64_t cols_ = 0;
    std::vector<float> values_;
    const float* mapped_ = nullptr;  // non-null: the values live in mapping_
    std::shared_ptr<const void> mapping_;
};

// Scales every row to unit Euclidean length (rows of zeros stay zero). A matrix whose rows are
// all unit already is left untouched, so a mapped one stays mapped.
void normalize_rows(FloatMatrix& matrix);

}  // namespace corral
