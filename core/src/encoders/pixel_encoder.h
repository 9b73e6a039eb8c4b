#pragma once
// The `pixels` encoder: images resized to a common size, then PCA to at most 128 components,
// whitened (each component scaled to unit variance). Fitted on the dataset being encoded.
#include "corral/core/encoder.h"

namespace corral::detail {

class PixelEncoder final : public ImageEncoder {
public:
    explicit PixelEncoder(int side = 0, int components = 128) : side_(side), components_(components) {}
    std::string id() const override;
    Expected<FloatMatrix> encode(const Dataset& dataset, const JobContext& job) override;

private:
    int side_;  // 0 = the dataset's native size (see native_geometry)
    int components_;
};

}  // namespace corral::detail
