#include "corral/core/nearest_neighbors.h"

#include "guard.h"
#include "knn.h"
#include "tensor_bridge.h"

namespace corral {

Expected<NearestNeighbors> find_nearest_neighbors(const FloatMatrix& points, int neighbors, IncludeSelf include_self,
                                                  const JobContext& job) {
    return detail::guarded("nearest neighbours", [&]() -> Expected<NearestNeighbors> {
        torch::InferenceMode inference;
        auto table = detail::exact_nearest_neighbors(detail::to_tensor(points, detail::compute_device()), neighbors,
                                                     include_self == IncludeSelf::yes ? detail::SelfMatch::include
                                                                                      : detail::SelfMatch::exclude,
                                                     job);
        if (!table) return table.error();
        const auto indices = table->indices.to(torch::kCPU).contiguous();
        const auto distances = table->squared_distances.to(torch::kCPU).contiguous();
        NearestNeighbors result;
        result.neighbors = neighbors;
        result.indices.assign(indices.data_ptr<std::int64_t>(), indices.data_ptr<std::int64_t>() + indices.numel());
        result.squared_distances.assign(distances.data_ptr<float>(), distances.data_ptr<float>() + distances.numel());
        return result;
    });
}

}  // namespace corral
