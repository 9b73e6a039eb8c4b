#pragma once
// Multi-Sub (DESIGN.md §5): clusters a dataset by one aspect the user names ("color", "shape")
// with a CLIP model. Each image learns a proxy word, a softmax mixture of the aspect's reference
// words placed in a prompt, so that the frozen text tower's prompt matches the image (Phase I);
// Phase II pulls together images whose proxies agree; k-means on [proxy, image feature] gives the
// clusters. Runs on compute_device(). Fails with invalid_argument (bad parameters), not_found /
// corrupt_data (bad model folder), cancelled; never throws.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "corral/core/dataset.h"
#include "corral/core/expected.h"
#include "corral/core/job.h"
#include "corral/core/matrix.h"

namespace corral {

struct MultiSubParams {
    std::string aspect;                 // a name for reports and the saved clustering ("color")
    std::vector<std::string> words;     // the reference words W_a (at least 2)
    std::string prompt_template;        // must contain "*" once; "{object}" becomes object_word
    std::string object_word = "object";
    int clusters = 4;                   // K of the final k-means
    int alternations = 3;               // Phase I + Phase II rounds
    int phase_one_epochs = 10;          // passes over the images per Phase I
    int phase_two_epochs = 2;           // passes per Phase II
    double latent_learning_rate = 5e-3;       // Adam on the per-image latents p_i
    double projection_learning_rate = 1e-5;   // Adam on the image projection
    double lambda = 0.5;                // weight of L_intra against L_inter
    double margin = 1.0;                // m of L_inter
    int batch_size = 64;
    std::uint64_t seed = 0;
};

struct MultiSubResult {
    std::string aspect;
    std::vector<std::string> words;
    int clusters = 0;
    std::vector<int> assignment;  // cluster per image, 0..clusters-1
    // Per cluster, every reference word with its weight (mean a_ik over the cluster's members),
    // heaviest first.
    std::vector<std::vector<std::pair<std::string, double>>> cluster_top_words;
    FloatMatrix word_weights;      // a_ik: images x words, rows sum to 1
    FloatMatrix features;          // v_i = [w_i, x_i], each half centred and scaled to unit mean
                                   // squared norm: what the final k-means clustered
    std::vector<double> phase_one_losses;  // mean loss per Phase I epoch, all alternations in order
    std::vector<double> phase_two_losses;  // mean loss per Phase II epoch
    double elapsed_ms = 0.0;
};

// `clip_model_dir` is a CLIP model folder (the clip:DIR of the encoders, tokenizer included).
Expected<MultiSubResult> run_multisub(const std::string& clip_model_dir, const Dataset& dataset,
                                      const MultiSubParams& params, const JobContext& job = {});

// The JSON a caller stores as the clustering's parameters_json: aspect, words, prompt, K and
// the top words per cluster.
std::string multisub_parameters_json(const MultiSubParams& params, const MultiSubResult& result, int top_words = 3);

}  // namespace corral
