#pragma once
// The embedded clustering model ("convnet"): a small residual CNN with an instance head and a
// cluster head, trained self-supervised on the user's own images with the instance- and
// cluster-level contrastive objectives of contrastive clustering (CC, Li et al., AAAI 2021) and
// CC's entropy term. Needs no download. A trained model lives in a folder (model.safetensors +
// optimizer.safetensors); it is IDC's "pre-trained clustering model": its cluster head gives the
// initial clusters and its backbone features feed value mining.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "corral/core/dataset.h"
#include "corral/core/expected.h"
#include "corral/core/job.h"
#include "corral/core/matrix.h"

namespace corral {

struct ConvnetTrainingParams {
    std::filesystem::path output_folder;        // created if missing; holds the checkpoints
    int clusters = 10;
    // The default is sized for 2 CPU cores: 90 x 10000 images (1.8M augmented views), about 9 CPU
    // minutes on Fashion-MNIST; chosen by measurement (docs/convnet.md).
    int epochs = 90;
    std::int64_t images_per_epoch = 10000;      // a random subset each epoch (0 = the whole dataset)
    int batch_size = 128;
    int input_size = 0;                         // 0 = the dataset's own size when small (28 for Fashion-MNIST)
    std::vector<int> widths = {16, 32, 64};     // residual stages
    int blocks_per_stage = 1;                   // residual blocks per stage, 1..4
    int feature_dimension = 128;                // linear layer after pooling: signed features (0 = none: widths.back())
    double learning_rate = 5e-4;                // Adam (CC: 3e-4 for 1000 epochs; a short schedule moves faster)
    double weight_decay = 0.0;
    double instance_temperature = 0.5;          // CC's defaults
    double cluster_temperature = 1.0;
    double entropy_weight = 1.0;
    std::uint64_t seed = 0;
    // Continue from the checkpoint in output_folder when there is one (its architecture must match);
    // when false, an existing checkpoint is overwritten.
    bool resume = true;
};

struct ConvnetEpochReport {
    int epoch = 0;  // 1-based
    double instance_loss = 0.0;
    double cluster_loss = 0.0;
    double entropy_loss = 0.0;
    double elapsed_ms = 0.0;
    double images_per_second = 0.0;  // augmented views through forward + backward
};

struct ConvnetTrainingReport {
    int epochs_completed = 0;        // in the checkpoint now
    int resumed_from_epoch = 0;      // 0 = trained from scratch
    std::vector<ConvnetEpochReport> epochs;  // the epochs run by this call
    double load_ms = 0.0;            // decoding the images
    double training_ms = 0.0;
    double images_per_second = 0.0;  // over this call's epochs
};

// Copies the architecture (widths, blocks per stage, feature size) of the checkpoint in
// params.output_folder into params, so a training begun under other defaults resumes in its own
// shape. Leaves params as they are when the folder holds no model; corrupt_data when it is damaged.
Status adopt_checkpoint_architecture(ConvnetTrainingParams& params);

// Trains (or continues training) and writes a checkpoint after every epoch. Cancelling keeps the
// last finished epoch's checkpoint, so a later call with resume = true carries on from it.
Expected<ConvnetTrainingReport> train_convnet(const Dataset& dataset, const ConvnetTrainingParams& params,
                                              const JobContext& job = {});

struct ConvnetModelInfo {
    int clusters = 0;
    int input_size = 0;
    int channels = 0;
    int feature_dimension = 0;
    int epochs_completed = 0;
    std::string fingerprint;  // 16 hex digits of a hash of the weights: equal fingerprints, equal models
};

// Reads a model folder's description; not_found when there is no model, corrupt_data when damaged.
Expected<ConvnetModelInfo> read_convnet_info(const std::filesystem::path& model_folder);

struct ConvnetPrediction {
    FloatMatrix features;       // [images, feature_dimension] backbone output, not normalised
    FloatMatrix probabilities;  // [images, clusters] cluster head output, rows sum to 1
    std::vector<int> assignment;  // argmax of each probability row
};

// Runs a trained model over every image of `dataset` (resized to the model's input size).
Expected<ConvnetPrediction> predict_with_convnet(const std::filesystem::path& model_folder, const Dataset& dataset,
                                                 const JobContext& job = {});

struct ConvnetClusters {
    FloatMatrix probabilities;    // [images, clusters], rows sum to 1
    std::vector<int> assignment;  // argmax of each probability row
};

// The model's cluster head applied to backbone features it produced (ConvnetPrediction::features
// or the convnet:DIR encoder's output, not normalised): the pre-trained clustering, without
// decoding the images again. invalid_argument when the width is not the model's feature dimension.
Expected<ConvnetClusters> cluster_with_convnet_head(const std::filesystem::path& model_folder,
                                                    const FloatMatrix& features, const JobContext& job = {});

// The model folder of a `convnet:DIR` encoder spec; nullopt for encoders without a cluster head.
std::optional<std::filesystem::path> convnet_folder_of(std::string_view encoder_spec);

}  // namespace corral
