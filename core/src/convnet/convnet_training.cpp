#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>

#include "convnet/augmentation.h"
#include "convnet/contrastive_losses.h"
#include "convnet/convnet_store.h"
#include "corral/core/convnet.h"
#include "encoders/image_batch.h"
#include "guard.h"
#include "tensor_bridge.h"

namespace corral {
namespace {

Status check_params(const Dataset& dataset, const ConvnetTrainingParams& params) {
    auto invalid = [](const std::string& message) { return make_error(ErrorCode::invalid_argument, message); };
    if (params.output_folder.empty()) return invalid("the convnet needs an output folder");
    if (params.clusters < 2) return invalid("the convnet needs at least two clusters");
    if (params.epochs < 1) return invalid("the convnet needs at least one epoch");
    if (params.batch_size < 2) return invalid("the batch size must be at least 2");
    if (params.images_per_epoch < 0) return invalid("images per epoch must be 0 (all) or positive");
    if (params.input_size != 0 && (params.input_size < 16 || params.input_size > 128)) {
        return invalid("the convnet input size must be 16..128 px");
    }
    if (params.widths.empty() || params.widths.size() > 5) return invalid("the convnet needs 1..5 stage widths");
    if (params.blocks_per_stage < 1 || params.blocks_per_stage > 4) return invalid("the convnet takes 1..4 blocks per stage");
    if (params.feature_dimension < 0 || params.feature_dimension > 4096) return invalid("the feature dimension must be 0..4096");
    if (params.learning_rate <= 0 || params.instance_temperature <= 0 || params.cluster_temperature <= 0) {
        return invalid("learning rate and temperatures must be positive");
    }
    if (dataset.size() < 2) return invalid("the convnet needs at least two images to train on");
    return ok();
}

std::string training_record(const ConvnetTrainingParams& params, const Dataset& dataset) {
    return nlohmann::json{{"dataset", dataset.description()},
                          {"epochs", params.epochs},
                          {"images_per_epoch", params.images_per_epoch},
                          {"batch_size", params.batch_size},
                          {"learning_rate", params.learning_rate},
                          {"weight_decay", params.weight_decay},
                          {"instance_temperature", params.instance_temperature},
                          {"cluster_temperature", params.cluster_temperature},
                          {"entropy_weight", params.entropy_weight},
                          {"seed", params.seed}}
        .dump();
}

struct TrainingState {
    models::ConvnetClustering model{nullptr};
    detail::ConvnetCheckpointInfo info;
};

// A fresh model, or the one in the output folder when resuming (same architecture required).
Expected<TrainingState> prepare_model(const ConvnetTrainingParams& params, const models::ConvnetOptions& options,
                                      const torch::Tensor& images) {
    TrainingState state;
    std::error_code error;
    const bool has_checkpoint = std::filesystem::exists(detail::convnet_model_file(params.output_folder), error);
    if (params.resume && has_checkpoint) {
        auto loaded = detail::load_convnet(params.output_folder, torch::kCPU);
        if (loaded.info.options != options) {
            return make_error(ErrorCode::invalid_argument,
                              params.output_folder.string() +
                                  " holds a convnet of another shape (clusters, input size, widths, depth or feature size); "
                                  "choose another folder or train without resuming");
        }
        state.model = loaded.model;
        state.info = loaded.info;
        return state;
    }
    state.model = models::ConvnetClustering(options);
    state.model->reset_parameters(params.seed);
    detail::use_channels_last(state.model);
    state.info.options = options;
    state.info.normalisation = detail::measure_normalisation(images);
    return state;
}

struct EpochLosses {
    double instance = 0.0;
    double cluster = 0.0;
    double entropy = 0.0;
};

}  // namespace

Status adopt_checkpoint_architecture(ConvnetTrainingParams& params) {
    std::error_code error;
    const auto path = detail::convnet_model_file(params.output_folder);
    if (!std::filesystem::exists(path, error)) return ok();
    auto options = detail::guarded(path.string(), [&]() -> Expected<models::ConvnetOptions> {
        return detail::read_convnet_checkpoint_info(models::read_checkpoint(path), path).options;
    });
    if (!options) return options.error();
    params.widths.assign(options->widths.begin(), options->widths.end());
    params.blocks_per_stage = static_cast<int>(options->blocks_per_stage);
    params.feature_dimension = static_cast<int>(options->feature_dimension);
    return ok();
}

Expected<ConvnetTrainingReport> train_convnet(const Dataset& dataset, const ConvnetTrainingParams& params,
                                              const JobContext& job) {
    if (auto valid = check_params(dataset, params); !valid) return valid.error();
    return detail::guarded("convnet training failed", [&]() -> Expected<ConvnetTrainingReport> {
        // Training needs autograd even when the calling thread is in inference mode elsewhere.
        torch::AutoGradMode enable_grad(true);
        ConvnetTrainingReport report;
        Stopwatch load_watch;
        auto geometry = detail::native_geometry(dataset);
        if (!geometry) return geometry.error();
        if (params.input_size > 0) geometry->side = params.input_size;
        geometry->side = std::max(geometry->side, 16);
        auto images = detail::load_all_images(dataset, *geometry, job.stage(0.0, 0.05));
        if (!images) return images.error();
        report.load_ms = load_watch.elapsed_ms();

        models::ConvnetOptions options;
        options.input_channels = geometry->channels;
        options.input_size = geometry->side;
        options.widths.assign(params.widths.begin(), params.widths.end());
        options.blocks_per_stage = params.blocks_per_stage;
        options.feature_dimension = params.feature_dimension;
        options.clusters = params.clusters;
        auto state = prepare_model(params, options, *images);
        if (!state) return state.error();
        auto model = state->model;
        auto& info = state->info;
        info.training_record = training_record(params, dataset);
        report.resumed_from_epoch = info.epochs_completed;

        const auto device = detail::compute_device();
        model->to(device);
        model->train();
        torch::optim::Adam optimizer(model->parameters(),
                                     torch::optim::AdamOptions(params.learning_rate).weight_decay(params.weight_decay));
        if (info.epochs_completed > 0) detail::load_optimizer_state(params.output_folder, model, optimizer, info.epochs_completed);

        const detail::AugmentationParams augmentation;
        const auto total_images = images->size(0);
        const auto per_epoch = params.images_per_epoch > 0 ? std::min(params.images_per_epoch, total_images) : total_images;
        const auto batch_size = std::min<std::int64_t>(params.batch_size, per_epoch);
        const auto steps = std::max<std::int64_t>(1, per_epoch / batch_size);
        const int first_epoch = info.epochs_completed;
        const auto training = job.stage(0.05, 1.0);
        Stopwatch training_watch;
        std::int64_t views_total = 0;

        for (int epoch = first_epoch; epoch < params.epochs; ++epoch) {
            Stopwatch epoch_watch;
            // One generator per epoch, seeded by (seed, epoch): a resumed run draws what an
            // uninterrupted one would have.
            auto generator = at::detail::createCPUGenerator(params.seed * 1000003u + static_cast<std::uint64_t>(epoch));
            const auto order = torch::randperm(total_images, generator, torch::kLong);
            EpochLosses sums;
            for (std::int64_t step = 0; step < steps; ++step) {
                if (job.stop_requested()) return cancelled_error();
                const auto indices = order.slice(0, step * batch_size, (step + 1) * batch_size);
                const auto batch = images->index_select(0, indices).to(device);
                const auto views = torch::cat({detail::augment_batch(batch, augmentation, info.normalisation, generator),
                                               detail::augment_batch(batch, augmentation, info.normalisation, generator)},
                                              0);
                const auto outputs = model->forward(views);
                const auto projections = outputs.projections.split(batch_size, 0);
                const auto probabilities = outputs.probabilities.split(batch_size, 0);
                const auto instance =
                    detail::instance_contrastive_loss(projections[0], projections[1], params.instance_temperature);
                const auto cluster =
                    detail::cluster_contrastive_loss(probabilities[0], probabilities[1], params.cluster_temperature);
                const auto entropy =
                    detail::cluster_entropy_loss(probabilities[0]) + detail::cluster_entropy_loss(probabilities[1]);
                const auto loss = instance + cluster + params.entropy_weight * entropy;
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();

                sums.instance += instance.item<double>();
                sums.cluster += cluster.item<double>();
                sums.entropy += entropy.item<double>();
                const double done = (static_cast<double>(epoch - first_epoch) + static_cast<double>(step + 1) / steps) /
                                    static_cast<double>(params.epochs - first_epoch);
                training.report(done, "training epoch " + std::to_string(epoch + 1) + "/" + std::to_string(params.epochs));
            }
            ConvnetEpochReport epoch_report;
            epoch_report.epoch = epoch + 1;
            epoch_report.instance_loss = sums.instance / static_cast<double>(steps);
            epoch_report.cluster_loss = sums.cluster / static_cast<double>(steps);
            epoch_report.entropy_loss = sums.entropy / static_cast<double>(steps);
            epoch_report.elapsed_ms = epoch_watch.elapsed_ms();
            epoch_report.images_per_second =
                static_cast<double>(2 * steps * batch_size) / std::max(1e-9, epoch_report.elapsed_ms / 1000.0);
            views_total += 2 * steps * batch_size;
            report.epochs.push_back(epoch_report);
            char message[200];
            std::snprintf(message, sizeof message,
                          "epoch %d/%d done: instance loss %.3f, cluster loss %.3f, entropy %.3f, %.0f images/s",
                          epoch + 1, params.epochs, epoch_report.instance_loss, epoch_report.cluster_loss,
                          epoch_report.entropy_loss, epoch_report.images_per_second);
            training.report(static_cast<double>(epoch + 1 - first_epoch) / (params.epochs - first_epoch), message);

            info.epochs_completed = epoch + 1;
            detail::save_convnet(params.output_folder, model, optimizer, info);
        }
        report.epochs_completed = info.epochs_completed;
        report.training_ms = training_watch.elapsed_ms();
        report.images_per_second = static_cast<double>(views_total) / std::max(1e-9, report.training_ms / 1000.0);
        return report;
    });
}

}  // namespace corral
