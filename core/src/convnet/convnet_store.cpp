#include "convnet/convnet_store.h"

#include <nlohmann/json.hpp>

namespace corral::detail {
namespace {

constexpr const char* format_name = "corral-convnet";
constexpr int format_version = 1;

std::string parameter_key(const torch::Tensor& parameter) {
    // Adam keys its per-parameter state by the tensor's implementation pointer.
    return c10::guts::to_string(parameter.unsafeGetTensorImpl());
}

nlohmann::json options_to_json(const models::ConvnetOptions& options) {
    return {{"input_channels", options.input_channels}, {"input_size", options.input_size},
            {"widths", options.widths},                 {"projection_dimension", options.projection_dimension},
            {"clusters", options.clusters},
            {"blocks_per_stage", options.blocks_per_stage},
            {"feature_dimension", options.feature_dimension}};
}

}  // namespace

std::filesystem::path convnet_model_file(const std::filesystem::path& folder) { return folder / "model.safetensors"; }
std::filesystem::path convnet_optimizer_file(const std::filesystem::path& folder) {
    return folder / "optimizer.safetensors";
}

void save_convnet(const std::filesystem::path& folder, models::ConvnetClustering& model,
                  const torch::optim::Adam& optimizer, const ConvnetCheckpointInfo& info) {
    std::error_code error;
    std::filesystem::create_directories(folder, error);
    if (error) throw models::CheckpointError(models::CheckpointError::Kind::io_error, "cannot create " + folder.string());

    models::NamedTensors moments;
    std::int64_t step = 0;
    for (const auto& item : model->named_parameters(true)) {
        const auto found = optimizer.state().find(parameter_key(item.value()));
        if (found == optimizer.state().end()) continue;
        const auto& state = static_cast<const torch::optim::AdamParamState&>(*found->second);
        moments["exp_avg/" + item.key()] = state.exp_avg();
        moments["exp_avg_sq/" + item.key()] = state.exp_avg_sq();
        step = state.step();
    }
    const std::string epochs = std::to_string(info.epochs_completed);
    models::write_checkpoint(convnet_optimizer_file(folder), moments,
                              {{"format", format_name}, {"epochs_completed", epochs}, {"step", std::to_string(step)}});

    const nlohmann::json normalisation = {{"mean", info.normalisation.mean}, {"std", info.normalisation.std}};
    models::write_checkpoint(convnet_model_file(folder), models::module_state(*model),
                              {{"format", format_name},
                               {"format_version", std::to_string(format_version)},
                               {"options", options_to_json(info.options).dump()},
                               {"normalisation", normalisation.dump()},
                               {"epochs_completed", epochs},
                               {"training", info.training_record}});
}

ConvnetCheckpointInfo read_convnet_checkpoint_info(const models::TensorFile& file, const std::filesystem::path& path) {
    auto corrupt = [&](const std::string& what) {
        return models::CheckpointError(models::CheckpointError::Kind::corrupt, path.string() + ": " + what);
    };
    const auto& metadata = file.metadata;
    auto field = [&](const std::string& key) -> const std::string& {
        const auto found = metadata.find(key);
        if (found == metadata.end()) throw corrupt("metadata lacks '" + key + "'");
        return found->second;
    };
    if (field("format") != format_name) throw corrupt("not a Corral convnet model");
    ConvnetCheckpointInfo info;
    try {
        if (std::stoi(field("format_version")) > format_version) {
            throw corrupt("written by a newer Corral (format version " + field("format_version") + ")");
        }
        const auto options = nlohmann::json::parse(field("options"));
        info.options.input_channels = options.at("input_channels").get<std::int64_t>();
        info.options.input_size = options.at("input_size").get<std::int64_t>();
        info.options.widths = options.at("widths").get<std::vector<std::int64_t>>();
        info.options.projection_dimension = options.at("projection_dimension").get<std::int64_t>();
        info.options.clusters = options.at("clusters").get<std::int64_t>();
        // Models written before these fields existed had one block per stage and no feature layer.
        info.options.blocks_per_stage = options.value("blocks_per_stage", std::int64_t{1});
        info.options.feature_dimension = options.value("feature_dimension", std::int64_t{0});
        const auto normalisation = nlohmann::json::parse(field("normalisation"));
        info.normalisation.mean = normalisation.at("mean").get<double>();
        info.normalisation.std = normalisation.at("std").get<double>();
        info.epochs_completed = std::stoi(field("epochs_completed"));
        const auto training = metadata.find("training");
        if (training != metadata.end()) info.training_record = training->second;
    } catch (const nlohmann::json::exception& parse_error) {
        throw corrupt(std::string("bad metadata: ") + parse_error.what());
    } catch (const std::logic_error&) {
        throw corrupt("bad number in the metadata");
    }
    try {
        models::check_convnet_options(info.options);
    } catch (const c10::Error& invalid) {
        throw corrupt(invalid.what_without_backtrace());
    }
    return info;
}

LoadedConvnet load_convnet(const std::filesystem::path& folder, torch::Device device) {
    const auto path = convnet_model_file(folder);
    const auto file = models::read_checkpoint(path);
    LoadedConvnet loaded;
    loaded.info = read_convnet_checkpoint_info(file, path);
    loaded.model = models::ConvnetClustering(loaded.info.options);
    models::load_module_state(*loaded.model, file.tensors);
    use_channels_last(loaded.model);
    loaded.model->to(device);
    loaded.model->eval();
    return loaded;
}

bool load_optimizer_state(const std::filesystem::path& folder, models::ConvnetClustering& model,
                          torch::optim::Adam& optimizer, int epochs_completed) {
    const auto path = convnet_optimizer_file(folder);
    std::error_code error;
    if (!std::filesystem::exists(path, error)) return false;
    const auto file = models::read_checkpoint(path);
    const auto epochs = file.metadata.find("epochs_completed");
    const auto step = file.metadata.find("step");
    if (epochs == file.metadata.end() || step == file.metadata.end() ||
        epochs->second != std::to_string(epochs_completed)) {
        return false;
    }
    const auto step_count = std::stoll(step->second);
    for (const auto& item : model->named_parameters(true)) {
        const auto average = file.tensors.find("exp_avg/" + item.key());
        const auto square = file.tensors.find("exp_avg_sq/" + item.key());
        if (average == file.tensors.end() || square == file.tensors.end()) continue;
        const auto& parameter = item.value();
        if (average->second.sizes() != parameter.sizes() || square->second.sizes() != parameter.sizes()) {
            throw models::CheckpointError(models::CheckpointError::Kind::corrupt,
                                          path.string() + ": optimizer state of '" + item.key() + "' has the wrong shape");
        }
        auto state = std::make_unique<torch::optim::AdamParamState>();
        state->step(step_count);
        // empty_like keeps the parameter's layout (channels-last) and device.
        state->exp_avg(torch::empty_like(parameter).copy_(average->second));
        state->exp_avg_sq(torch::empty_like(parameter).copy_(square->second));
        optimizer.state()[parameter_key(parameter)] = std::move(state);
    }
    return true;
}

ConvnetPrediction empty_prediction(models::ConvnetClustering& model, std::int64_t count) {
    ConvnetPrediction prediction;
    prediction.features = FloatMatrix(count, model->backbone()->feature_dimension());
    prediction.probabilities = FloatMatrix(count, model->options().clusters);
    prediction.assignment.resize(static_cast<std::size_t>(count));
    return prediction;
}

void predict_rows(models::ConvnetClustering& model, const torch::Tensor& normalised, std::int64_t begin,
                  ConvnetPrediction& prediction) {
    const auto outputs = model->forward(normalised);
    const auto features = outputs.features.to(torch::kCPU, torch::kFloat32).contiguous();
    const auto probabilities = outputs.probabilities.to(torch::kCPU, torch::kFloat32).contiguous();
    const auto assignment = probabilities.argmax(1).to(torch::kInt32).contiguous();
    std::copy_n(features.data_ptr<float>(), features.numel(), prediction.features.row(begin).data());
    std::copy_n(probabilities.data_ptr<float>(), probabilities.numel(), prediction.probabilities.row(begin).data());
    std::copy_n(assignment.data_ptr<int>(), assignment.numel(), prediction.assignment.begin() + begin);
}

void use_channels_last(models::ConvnetClustering& model) {
    torch::NoGradGuard no_grad;
    for (auto& parameter : model->parameters(true)) {
        if (parameter.dim() == 4) parameter.set_data(parameter.data().contiguous(torch::MemoryFormat::ChannelsLast));
    }
}

Error to_error(const models::CheckpointError& error) {
    switch (error.kind()) {
        case models::CheckpointError::Kind::not_found: return make_error(ErrorCode::not_found, error.what());
        case models::CheckpointError::Kind::io_error: return make_error(ErrorCode::io_error, error.what());
        case models::CheckpointError::Kind::corrupt: break;
    }
    const std::string message = error.what();
    if (message.find("newer Corral") != std::string::npos) return make_error(ErrorCode::version_too_new, message);
    return make_error(ErrorCode::corrupt_data, message);
}

}  // namespace corral::detail
