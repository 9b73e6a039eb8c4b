#include "corral/core/nearest_neighbors.h"

#include "guard.h"
#include "knn.h"
#include "tensor_bridge.h"

namespace corral {

KnnMethod resolve_knn_method(KnnMethod method, std::int64_t points) {
    detail::KnnOptions options;
    options.method = method;
    return detail::chosen_knn_method(points, options);
}

std::string_view knn_method_name(KnnMethod method) {
    switch (method) {
        case KnnMethod::exact: return "exact";
        case KnnMethod::approximate: return "approximate";
        case KnnMethod::automatic: break;
    }
    return "automatic";
}

Expected<NearestNeighbors> find_nearest_neighbors(const FloatMatrix& points, int neighbors, IncludeSelf include_self,
                                                  const JobContext& job, KnnMethod method) {
    return detail::guarded("nearest neighbours", [&]() -> Expected<NearestNeighbors> {
        torch::InferenceMode inference;
        detail::KnnOptions options;
        options.method = method;
        auto table = detail::nearest_neighbors(detail::to_tensor(points, detail::compute_device()), neighbors,
                                               include_self == IncludeSelf::yes ? detail::SelfMatch::include
                                                                                : detail::SelfMatch::exclude,
                                               job, options);
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
