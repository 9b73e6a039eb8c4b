#pragma once
// IDC's fine-tuning of the clustering network itself (DESIGN §4, "what is fine-tuned"): the
// embedded convnet's backbone and its own cluster head learn from the user's answers, the
// reference recipe. Per step: a batch of answered samples and a batch of unanswered images;
// pseudo-labels come from clean views in eval mode and enter a per-sample table that persists
// over the whole fine-tune (at most ceil(new_label_fraction * unlabeled_batch / C) new labels per
// class and step, most confident first); the losses are computed on strongly augmented views:
//   L_pos = class-weighted CE(p_i, chosen)        over positive answers
//   L_neg = -mean log(1 - p_ij) (clamped 1e-5)    over the clusters a negative answer rejected
//   L_reg = class-balanced CE(p_i, table label)   over unanswered samples with a table label
// The model it starts from is never changed: the tuned copy is written to a new folder.
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "corral/core/answer_propagation.h"
#include "corral/core/convnet.h"
#include "corral/core/dataset.h"
#include "corral/core/expected.h"
#include "corral/core/feedback_training.h"
#include "corral/core/job.h"
#include "corral/core/queries.h"

namespace corral {

struct ConvnetFineTuneParams {
    double learning_rate = 1e-4;  // Adam, as the reference
    double weight_decay = 1e-4;
    int epochs = 100;             // passes over the answers
    int answer_batch = 100;
    int unlabeled_batch = 500;
    double confidence_threshold = 0.99;  // tau
    double new_label_fraction = 0.2;     // per step and class: ceil(fraction * unlabeled_batch / C) new labels
    // Leading backbone blocks kept frozen (weights and batch-norm statistics). The blocks are the
    // stem, then each residual stage: 0 trains everything, 1 keeps the stem, and so on.
    int frozen_leading_blocks = 0;
    FeedbackLossSwitches losses;
    std::uint64_t seed = 0;
    // Unanswered images whose L_reg label is fixed from the first step (propagate_answers);
    // empty = the reference recipe.
    std::vector<LentLabel> lent_labels;
};

struct ConvnetFineTuneResult {
    // The tuned model over every image of the dataset: backbone features (not normalised),
    // cluster probabilities and the argmax assignment.
    ConvnetPrediction prediction;
    std::vector<EpochLosses> epochs;
    std::int64_t positives = 0;
    std::int64_t negatives = 0;
    std::int64_t pseudo_labelled = 0;  // unanswered images with a table label at the end, lent ones included
    std::int64_t steps = 0;
    double training_ms = 0.0;
    double encoding_ms = 0.0;
};

// Fine-tunes a copy of the model in `model_folder` with `answers` on `dataset` (the images the
// answers index), writes the tuned model to `output_folder` (which must not exist; it appears
// only when training finished) and re-encodes every image with it. Cancelling or failing leaves
// `model_folder` untouched and `output_folder` absent. invalid_argument for answers out of range
// or when there is no positive or negative answer; runs on CUDA when LibTorch has it.
Expected<ConvnetFineTuneResult> fine_tune_convnet(const std::filesystem::path& model_folder, const Dataset& dataset,
                                                  std::span<const Answer> answers,
                                                  const std::filesystem::path& output_folder,
                                                  const ConvnetFineTuneParams& params, const JobContext& job = {});

}  // namespace corral
