#include "corral/core/interactive_session.h"
#include "session/session_state.h"

namespace corral {

TsneParams map_tsne_params(std::int64_t feature_columns) {
    TsneParams params;
    if (feature_columns <= 256) params.pca_dimensions = 0;
    return params;
}

TsneParams InteractiveSession::default_map_params() const { return map_tsne_params(state_->active().features->cols()); }

Expected<FloatMatrix> InteractiveSession::compute_map(const TsneParams& params, const JobContext& job,
                                                      const TsneLayoutCallback& on_layout) const {
    // A snapshot: adopting another clustering meanwhile replaces the session's features, not these.
    const auto features = state_->snapshot()->features;
    auto map = run_tsne(*features, params, job.stage(0.0, 0.99), on_layout);
    if (!map) return map.error();
    if (auto stored = state_->project->store_map(kTsneMapName, map->layout); !stored) return stored.error();
    job.report(1.0, "map stored");
    return std::move(map->layout);
}

std::optional<FloatMatrix> InteractiveSession::stored_map() const {
    auto map = state_->project->load_map(kTsneMapName);
    if (!map || map->rows() != state_->active().features->rows() || map->cols() != 2) return std::nullopt;
    return std::move(*map);
}

}  // namespace corral
