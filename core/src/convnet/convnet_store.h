#pragma once
// Private to core: a convnet model folder — model.safetensors (weights, batch-norm statistics and,
// in its metadata, the architecture, input normalisation and epochs trained) and
// optimizer.safetensors (Adam's moments, for resuming). Functions throw models::CheckpointError.
#include <torch/torch.h>

#include <filesystem>

#include "convnet/augmentation.h"
#include "corral/core/convnet.h"
#include "corral/core/expected.h"
#include "corral/models/convnet.h"
#include "corral/models/convnet_checkpoint.h"

namespace corral::detail {

struct ConvnetCheckpointInfo {
    models::ConvnetOptions options;
    Normalisation normalisation;
    int epochs_completed = 0;
    std::string training_record;  // JSON of the parameters it was trained with, for people to read
};

std::filesystem::path convnet_model_file(const std::filesystem::path& folder);
std::filesystem::path convnet_optimizer_file(const std::filesystem::path& folder);

// Writes both files (each atomically). The model file is written last: a folder whose model
// says epoch E has an optimizer state of epoch E or a newer, unused one.
void save_convnet(const std::filesystem::path& folder, models::ConvnetClustering& model,
                  const torch::optim::Adam& optimizer, const ConvnetCheckpointInfo& info);

ConvnetCheckpointInfo read_convnet_checkpoint_info(const models::TensorFile& file, const std::filesystem::path& path);

struct LoadedConvnet {
    models::ConvnetClustering model{nullptr};
    ConvnetCheckpointInfo info;
};
// The model on `device`, in eval mode.
LoadedConvnet load_convnet(const std::filesystem::path& folder, torch::Device device);

// Restores Adam's moments saved with epoch `epochs_completed`; false (optimizer untouched) when
// the folder has none for that epoch.
bool load_optimizer_state(const std::filesystem::path& folder, models::ConvnetClustering& model,
                          torch::optim::Adam& optimizer, int epochs_completed);

// An empty prediction for `count` images of this model: features, probabilities, assignment.
ConvnetPrediction empty_prediction(models::ConvnetClustering& model, std::int64_t count);
// Runs the model (in inference mode, eval) on a normalised batch and writes its rows from `begin`.
void predict_rows(models::ConvnetClustering& model, const torch::Tensor& normalised, std::int64_t begin,
                  ConvnetPrediction& prediction);

// Stores conv weights channels-last, the layout oneDNN convolutions run fastest in on the CPU.
void use_channels_last(models::ConvnetClustering& model);

Error to_error(const models::CheckpointError& error);

}  // namespace corral::detail
