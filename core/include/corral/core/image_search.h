#pragma once
// Search in a collection by the cosine similarity of feature vectors: the images most like one
// image of it ("find similar images"), and the images a text describes (CLIP text search: the
// prompt's text features against the images' CLIP image features). Pure work on the values
// given, callable from any thread; results are best first.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "corral/core/dataset.h"
#include "corral/core/expected.h"
#include "corral/core/job.h"
#include "corral/core/matrix.h"

namespace corral {

class Project;

struct RankedImage {
    std::int64_t item = 0;    // dataset item (row of the features)
    double similarity = 0.0;  // cosine similarity, in [-1, 1]
};

// The `count` rows of `features` most similar to `query` by cosine, best first; equal
// similarities rank the lower item first. `exclude` (an item, or -1) is left out, and so are rows
// holding NaN or infinity; a row of zeros has similarity 0. Fewer than `count` results when there
// are fewer rows. invalid_argument when query.size() != features.cols() or count < 1 or the
// query is all zeros; cancelled when the job is stopped.
Expected<std::vector<RankedImage>> rank_by_cosine(const FloatMatrix& features, std::span<const float> query, int count,
                                                  std::int64_t exclude = -1, const JobContext& job = {});

// The `count` images most similar to image `item` by its row of `features` (the image itself is
// left out). invalid_argument when `item` is not a row.
Expected<std::vector<RankedImage>> find_similar_images(const FloatMatrix& features, std::int64_t item, int count,
                                                       const JobContext& job = {});

// The CLIP model folder that text search of a project would use: the project's own encoder when
// it is one (encoder_spec "clip:DIR"), else `configured_clip_model_dir` (a folder the user chose
// elsewhere, e.g. for aspect clusterings; may be empty). `problem` says why there is none usable
// (empty when clip_model_dir can be used); `uses_project_encoder` tells the first case.
struct TextSearchModel {
    std::string clip_model_dir;
    bool uses_project_encoder = false;
    std::string problem;
    bool available() const { return problem.empty(); }
};
TextSearchModel text_search_model(const std::string& encoder_spec, const std::string& configured_clip_model_dir);

// The features a search reads for the current clustering: the session's L2-normalised features
// (InteractiveSession::features(), a snapshot) and the id of the encoder that made them.
struct SearchFeatures {
    std::shared_ptr<const FloatMatrix> features;
    std::string encoder_id;
};

// Text search with the CLIP model in `clip_model_dir`: `text` encoded by its text tower, ranked
// against the images' features from its image tower, which are `current` when they are that
// model's, else the project's stored ones, else computed now and stored in the project (the
// first text search of a project made with another encoder encodes every image once). Errors:
// the model folder's (check_clip_model_folder), invalid_argument for an empty text, the encoder's
// or the project's, cancelled.
Expected<std::vector<RankedImage>> search_images_by_text(Project& project, const Dataset& dataset,
                                                         const SearchFeatures& current, const std::string& clip_model_dir,
                                                         const std::string& text, int count, const JobContext& job = {});

}  // namespace corral
