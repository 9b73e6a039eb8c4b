#include "encoders/convnet_encoder.h"

#include "corral/core/convnet.h"

namespace corral::detail {

Expected<std::unique_ptr<ImageEncoder>> ConvnetEncoder::open(const std::filesystem::path& model_folder) {
    // read_convnet_info and predict_with_convnet guard themselves (public entry points).
    auto info = read_convnet_info(model_folder);
    if (!info) return info.error();
    std::string id = "convnet-" + info->fingerprint + "-" + std::to_string(info->input_size) + "px";
    return std::unique_ptr<ImageEncoder>(new ConvnetEncoder(model_folder, std::move(id)));
}

Expected<FloatMatrix> ConvnetEncoder::encode(const Dataset& dataset, const JobContext& job) {
    auto prediction = predict_with_convnet(folder_, dataset, job);
    if (!prediction) return prediction.error();
    return std::move(prediction->features);
}

}  // namespace corral::detail
