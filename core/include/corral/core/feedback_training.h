#pragma once
// Feedback training of IDC (DESIGN §4): the clustering model is a head (Linear-ReLU-Linear,
// softmax over C clusters) on cached, L2-normalised features. It is first fitted to reproduce an
// initial clustering (the pre-trained clustering model's: a convnet's cluster head, or k-means),
// then fine-tuned with the user's answers:
//   L_pos = CE(p_i, chosen cluster)                     over positive answers
//   L_neg = -mean log(1 - p_ij)  (p clamped at 1e-5)    over the candidates j a negative rejected
//   L_reg = class-balanced CE(perturbed view of z_i, table label)  over unanswered samples; the
//           per-sample table is filled from clean-feature predictions above tau, at most a few new
//           labels per class and step (as the reference; cached features have no image views, so
//           the view is the feature with Gaussian noise and dropout, re-normalised)
// Centres afterwards are the mean of z over each predicted cluster.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "corral/core/answer_propagation.h"
#include "corral/core/expected.h"
#include "corral/core/job.h"
#include "corral/core/matrix.h"
#include "corral/core/queries.h"

namespace corral {

struct FeedbackLossSwitches {
    bool positive = true;
    bool negative = true;
    bool regularization = true;
};

struct FeedbackTrainerParams {
    int clusters = 10;
    int hidden_dimension = 512;
    // Fine-tuning, as the reference: Adam, 100 epochs over the answers, batches of 100 answers
    // each paired with 500 unanswered samples. The learning rate is 10x the reference's 1e-4:
    // only the head is trained here, on cached features, and at 1e-4 its 500 steps barely move it
    // (docs/idc.md has the measurements); the reference's value stays available here.
    double learning_rate = 1e-3;
    double weight_decay = 1e-4;
    int epochs = 100;
    int positive_batch = 100;
    int unlabeled_batch = 500;
    double confidence_threshold = 0.99;  // tau
    // New pseudo-labels per class and step (most confident first): keeps a dominant cluster from
    // swallowing the regulariser. 0 = the reference's ceil(0.2 * unlabeled_batch / clusters).
    int pseudo_labels_per_class = 0;
    double feature_noise = 0.05;    // std of the Gaussian noise of a perturbed feature view
    double feature_dropout = 0.1;   // share of a perturbed view's coordinates set to 0
    FeedbackLossSwitches losses;
    // Fitting the head to the initial clustering: Adam at this rate, epochs over all samples, and
    // at least initial_fit_min_steps steps (more epochs on small collections).
    double initial_fit_learning_rate = 1e-3;
    int initial_fit_epochs = 10;
    int initial_fit_batch = 512;
    int initial_fit_min_steps = 200;
    // ...and at most this many (0 = no limit): ten epochs of 1M images are 19,500 steps (minutes
    // on one thread), yet the head has long agreed with the clustering by 4,000 (2M images seen,
    // three times what ten epochs of 70k show it). Collections up to ~200k never reach it.
    int initial_fit_max_steps = 4000;
    std::uint64_t seed = 0;
};

// The epochs and optimiser steps FeedbackTrainer::fit_initial takes for `samples` samples.
int initial_fit_epochs(const FeedbackTrainerParams& params, std::int64_t samples);
std::int64_t initial_fit_steps(const FeedbackTrainerParams& params, std::int64_t samples);

struct ClusterPrediction {
    std::vector<int> assignment;  // argmax cluster per sample
    FloatMatrix probabilities;    // N x C
    FloatMatrix centres;          // C x D: mean of the normalised features of each predicted cluster
};

struct EpochLosses {
    double positive = 0.0;        // mean over the epoch's steps
    double negative = 0.0;
    double regularization = 0.0;
    double total = 0.0;
};

struct FeedbackTrainingResult {
    ClusterPrediction prediction;
    std::vector<EpochLosses> epochs;
    std::int64_t positives = 0;
    std::int64_t negatives = 0;
    std::int64_t pseudo_labelled = 0;  // unanswered samples with a table label at the end, lent ones included
    double elapsed_ms = 0.0;
};

class FeedbackTrainer {
public:
    explicit FeedbackTrainer(FeedbackTrainerParams params = {});
    ~FeedbackTrainer();
    FeedbackTrainer(FeedbackTrainer&&) noexcept;
    FeedbackTrainer& operator=(FeedbackTrainer&&) noexcept;
    // An independent trainer with a copy of this one's head (for comparing settings from one fit).
    FeedbackTrainer copy() const;
    // New fine-tuning settings; the fitted head stays. invalid_argument when `params` changes the
    // head's shape (clusters, hidden_dimension) after a fit.
    Status set_params(const FeedbackTrainerParams& params);

    // Builds a fresh head for features of this width and fits it to `assignment` (N labels in
    // [0, clusters)). Returns the head's own prediction, which agrees with `assignment` on
    // nearly every sample. Fails with invalid_argument on mismatched shapes.
    Expected<ClusterPrediction> fit_initial(const FloatMatrix& features, std::span<const int> assignment,
                                            const JobContext& job = {});
    // Fine-tunes the head with the answers (skips are ignored). Needs fit_initial first.
    Expected<FeedbackTrainingResult> fine_tune(const FloatMatrix& features, std::span<const Answer> answers,
                                               const JobContext& job = {});
    // The same, with labels lent by the answers to unanswered samples (propagate_answers): they
    // are L_reg's labels for those samples from the first step and are never replaced.
    Expected<FeedbackTrainingResult> fine_tune(const FloatMatrix& features, std::span<const Answer> answers,
                                               std::span<const LentLabel> lent, const JobContext& job = {});
    Expected<ClusterPrediction> predict(const FloatMatrix& features) const;

    // The fitted (or fine-tuned) head's weights as bytes, for a project checkpoint;
    // invalid_argument before a fit.
    Expected<std::vector<std::byte>> save_head() const;
    // Makes a head saved by save_head this trainer's head, for features `feature_dimension` wide.
    // corrupt_data when the bytes are not such a head of this params' shape (clusters, hidden width).
    Status load_head(std::span<const std::byte> bytes, std::int64_t feature_dimension);

    const FeedbackTrainerParams& params() const { return params_; }

private:
    struct State;
    FeedbackTrainerParams params_;
    std::unique_ptr<State> state_;
};

}  // namespace corral
