#include "corral/core/image_search.h"

#include <Eigen/Core>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>

#include "corral/core/aspect_clustering.h"
#include "corral/core/encoder.h"
#include "corral/core/project.h"
#include "corral/core/project_data.h"
#include "corral/core/text_encoder.h"
#include "guard.h"

namespace corral {
namespace {

// Rows per block: the stop token is looked at between blocks (a few ms each at 512 columns).
constexpr std::int64_t kBlockRows = 8192;

using RowMajorMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Expected<std::vector<RankedImage>> rank_unguarded(const FloatMatrix& features, std::span<const float> query, int count,
                                                  std::int64_t exclude, const JobContext& job) {
    if (count < 1) return make_error(ErrorCode::invalid_argument, "a search needs to return at least one image");
    if (static_cast<std::int64_t>(query.size()) != features.cols()) {
        return make_error(ErrorCode::invalid_argument, "the query has " + std::to_string(query.size()) +
                                                           " features but the images have " +
                                                           std::to_string(features.cols()));
    }
    const Eigen::Map<const Eigen::VectorXf> query_vector(query.data(), static_cast<Eigen::Index>(query.size()));
    const double query_norm = query_vector.cast<double>().norm();
    if (!(query_norm > 0.0) || !std::isfinite(query_norm)) {
        return make_error(ErrorCode::invalid_argument, "the query's features are all zeros (or not finite)");
    }
    const std::int64_t rows = features.rows();
    std::vector<double> similarity(static_cast<std::size_t>(rows), 0.0);
    std::vector<char> usable(static_cast<std::size_t>(rows), 1);
    for (std::int64_t begin = 0; begin < rows; begin += kBlockRows) {
        if (job.stop_requested()) return cancelled_error();
        const std::int64_t block = std::min(kBlockRows, rows - begin);
        const Eigen::Map<const RowMajorMatrix> part(features.row(begin).data(), block, features.cols());
        const Eigen::VectorXf dots = part * query_vector;
        const Eigen::VectorXf norms = part.rowwise().norm();
        for (std::int64_t r = 0; r < block; ++r) {
            const auto index = static_cast<std::size_t>(begin + r);
            const double dot = dots[r], norm = norms[r];
            if (!std::isfinite(dot) || !std::isfinite(norm)) {
                usable[index] = 0;
                continue;
            }
            // Clamped: float rounding can put a row's cosine with itself a hair above 1.
            similarity[index] = norm > 0.0 ? std::clamp(dot / (norm * query_norm), -1.0, 1.0) : 0.0;
        }
        job.report(static_cast<double>(begin + block) / static_cast<double>(rows), "ranking images by similarity");
    }
    std::vector<std::int64_t> order;
    order.reserve(static_cast<std::size_t>(rows));
    for (std::int64_t i = 0; i < rows; ++i) {
        if (i != exclude && usable[static_cast<std::size_t>(i)]) order.push_back(i);
    }
    const auto better = [&](std::int64_t a, std::int64_t b) {
        const double sa = similarity[static_cast<std::size_t>(a)], sb = similarity[static_cast<std::size_t>(b)];
        return sa != sb ? sa > sb : a < b;
    };
    const auto shown = std::min<std::size_t>(static_cast<std::size_t>(count), order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(shown), order.end(), better);
    std::vector<RankedImage> ranked(shown);
    for (std::size_t k = 0; k < shown; ++k) ranked[k] = {order[k], similarity[static_cast<std::size_t>(order[k])]};
    return ranked;
}

std::string clip_folder_of(const std::string& encoder_spec) {
    constexpr std::string_view prefix = "clip:";
    return encoder_spec.rfind(prefix, 0) == 0 ? encoder_spec.substr(prefix.size()) : std::string();
}

}  // namespace

Expected<std::vector<RankedImage>> rank_by_cosine(const FloatMatrix& features, std::span<const float> query, int count,
                                                  std::int64_t exclude, const JobContext& job) {
    return detail::guarded("similarity search", [&] { return rank_unguarded(features, query, count, exclude, job); });
}

Expected<std::vector<RankedImage>> find_similar_images(const FloatMatrix& features, std::int64_t item, int count,
                                                       const JobContext& job) {
    if (item < 0 || item >= features.rows()) {
        return make_error(ErrorCode::invalid_argument, "image #" + std::to_string(item) + " is not in the collection of " +
                                                           std::to_string(features.rows()) + " images");
    }
    return rank_by_cosine(features, features.row(item), count, item, job);
}

TextSearchModel text_search_model(const std::string& encoder_spec, const std::string& configured_clip_model_dir) {
    TextSearchModel model;
    const std::string own = clip_folder_of(encoder_spec);
    std::string own_problem;
    if (!own.empty()) {
        if (auto usable = check_clip_model_folder(own)) {
            model.clip_model_dir = own;
            model.uses_project_encoder = true;
            return model;
        } else {
            own_problem = usable.error().message;
        }
    }
    if (!configured_clip_model_dir.empty()) {
        if (auto usable = check_clip_model_folder(configured_clip_model_dir)) {
            model.clip_model_dir = configured_clip_model_dir;
            return model;
        } else if (own_problem.empty()) {
            own_problem = usable.error().message;
        }
    }
    model.problem = own_problem.empty() ? "this project's images were encoded with " + encoder_spec +
                                              ", not CLIP, and no CLIP model folder has been chosen"
                                        : own_problem;
    return model;
}

Expected<std::vector<RankedImage>> search_images_by_text(Project& project, const Dataset& dataset,
                                                         const SearchFeatures& current, const std::string& clip_model_dir,
                                                         const std::string& text, int count, const JobContext& job) {
    return detail::guarded("text search", [&]() -> Expected<std::vector<RankedImage>> {
        const bool blank = std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c) != 0; });
        if (blank) return make_error(ErrorCode::invalid_argument, "type what the images should show");
        if (auto folder = check_clip_model_folder(clip_model_dir); !folder) return folder.error();
        const std::string spec = "clip:" + clip_model_dir;
        auto text_encoder = create_text_encoder(spec);
        if (!text_encoder) return text_encoder.error();
        auto prompt = (*text_encoder)->encode({text}, job.stage(0.0, 0.05));
        if (!prompt) return prompt.error();
        auto image_encoder = create_image_encoder(spec);
        if (!image_encoder) return image_encoder.error();

        std::shared_ptr<const FloatMatrix> images;
        if (current.features && current.encoder_id == (*image_encoder)->id()) {
            images = current.features;
        } else {
            auto cached = cached_features(project, **image_encoder, dataset, job.stage(0.05, 0.95));
            if (!cached) return cached.error();
            normalize_rows(cached->features);
            images = std::make_shared<const FloatMatrix>(std::move(cached->features));
        }
        if (images->rows() != dataset.size()) {
            return make_error(ErrorCode::corrupt_data, "the CLIP features have " + std::to_string(images->rows()) +
                                                           " rows for " + std::to_string(dataset.size()) + " images");
        }
        return rank_unguarded(*images, prompt->row(0), count, -1, job.stage(0.95, 1.0));
    });
}

}  // namespace corral
