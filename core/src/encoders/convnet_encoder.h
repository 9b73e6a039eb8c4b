#pragma once
// The `convnet:DIR` encoder: the backbone features of a convnet trained by train_convnet
// (corral-cli pretrain). Its id carries the weights' fingerprint, so retraining changes it.
#include <filesystem>

#include "corral/core/encoder.h"

namespace corral::detail {

class ConvnetEncoder final : public ImageEncoder {
public:
    // not_found / corrupt_data when the folder holds no readable model.
    static Expected<std::unique_ptr<ImageEncoder>> open(const std::filesystem::path& model_folder);
    std::string id() const override { return id_; }
    Expected<FloatMatrix> encode(const Dataset& dataset, const JobContext& job) override;

private:
    ConvnetEncoder(std::filesystem::path folder, std::string id) : folder_(std::move(folder)), id_(std::move(id)) {}
    std::filesystem::path folder_;
    std::string id_;
};

}  // namespace corral::detail
