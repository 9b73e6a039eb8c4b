#include "corral/core/convnet_fine_tuning.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <set>

#include "convnet/augmentation.h"
#include "convnet/convnet_store.h"
#include "encoders/image_batch.h"
#include "idc/self_training.h"
#include "tensor_bridge.h"

namespace corral {
namespace {

constexpr double kNegativeFloor = 1e-5;
constexpr std::int64_t kEncodingBatch = 1024;

Status check_params(const ConvnetFineTuneParams& params) {
    auto invalid = [](const std::string& message) { return make_error(ErrorCode::invalid_argument, message); };
    if (!(params.learning_rate > 0.0) || !std::isfinite(params.learning_rate)) return invalid("the learning rate must be positive");
    if (!(params.weight_decay >= 0.0) || !std::isfinite(params.weight_decay)) return invalid("the weight decay must not be negative");
    if (params.epochs < 1) return invalid("fine-tuning needs at least one epoch");
    if (params.answer_batch < 1 || params.unlabeled_batch < 0) return invalid("batch sizes must be positive");
    if (!(params.confidence_threshold > 0.0 && params.confidence_threshold < 1.0)) {
        return invalid("the confidence threshold must lie strictly between 0 and 1");
    }
    if (!(params.new_label_fraction >= 0.0 && params.new_label_fraction <= 1.0)) {
        return invalid("the new-label fraction must lie in [0, 1]");
    }
    if (params.frozen_leading_blocks < 0) return invalid("the number of frozen blocks must not be negative");
    return ok();
}

// The answers as index tensors, on the CPU.
struct AnswerTensors {
    torch::Tensor positive_samples, positive_clusters;  // int64 [P]
    torch::Tensor negative_samples;                     // int64 [Q]
    torch::Tensor negative_masks;                       // float [Q, C], 1 = rejected
    torch::Tensor unanswered;                           // int64 [U]
};

Expected<AnswerTensors> answer_tensors(std::span<const Answer> answers, std::int64_t images, std::int64_t clusters) {
    std::vector<std::int64_t> positive_samples, positive_clusters, negative_samples;
    std::vector<float> masks;
    std::vector<char> answered(static_cast<std::size_t>(images), 0);
    for (const auto& answer : answers) {
        if (answer.kind == AnswerKind::skip) continue;
        if (answer.sample < 0 || answer.sample >= images) {
            return make_error(ErrorCode::invalid_argument, "fine-tuning: answered image out of range");
        }
        if (answer.kind == AnswerKind::negative) {
            std::vector<float> mask(static_cast<std::size_t>(clusters), 0.0f);
            for (const int cluster : answer.rejected) {
                if (cluster < 0 || cluster >= clusters) {
                    return make_error(ErrorCode::invalid_argument, "fine-tuning: rejected cluster out of range");
                }
                mask[static_cast<std::size_t>(cluster)] = 1.0f;
            }
            negative_samples.push_back(answer.sample);
            masks.insert(masks.end(), mask.begin(), mask.end());
        } else {
            if (answer.cluster < 0 || answer.cluster >= clusters) {
                return make_error(ErrorCode::invalid_argument, "fine-tuning: answered cluster out of range");
            }
            positive_samples.push_back(answer.sample);
            positive_clusters.push_back(answer.cluster);
        }
        answered[static_cast<std::size_t>(answer.sample)] = 1;
    }
    if (positive_samples.empty() && negative_samples.empty()) {
        return make_error(ErrorCode::invalid_argument, "there are no answers to learn from yet");
    }
    std::vector<std::int64_t> unanswered;
    for (std::int64_t i = 0; i < images; ++i) if (!answered[static_cast<std::size_t>(i)]) unanswered.push_back(i);
    const auto longs = torch::TensorOptions().dtype(torch::kInt64);
    AnswerTensors tensors;
    tensors.positive_samples = torch::tensor(positive_samples, longs);
    tensors.positive_clusters = torch::tensor(positive_clusters, longs);
    tensors.negative_samples = torch::tensor(negative_samples, longs);
    tensors.negative_masks = torch::tensor(masks, torch::kFloat32).reshape({-1, clusters});
    tensors.unanswered = torch::tensor(unanswered, longs);
    return tensors;
}

// The modules of the first `blocks` backbone blocks (stem = block 0, residual stage s = block s + 1).
std::vector<std::shared_ptr<torch::nn::Module>> frozen_modules(models::ConvnetClustering& model, int blocks) {
    std::vector<std::shared_ptr<torch::nn::Module>> frozen;
    for (const auto& item : model->backbone()->named_children()) {
        int block = -1;
        if (item.key() == "stem_conv" || item.key() == "stem_norm") block = 0;
        if (block >= 0 && block < blocks) frozen.push_back(item.value());
        if (item.key() == "stages") {
            int stage = 0;
            for (const auto& child : item.value()->children()) {
                if (stage + 1 < blocks) frozen.push_back(child);
                ++stage;
            }
        }
    }
    return frozen;
}

torch::Tensor cluster_logits(models::ConvnetClustering& model, const torch::Tensor& images) {
    return model->cluster_head()->logits(model->backbone()->forward(images));
}

// The tuned model over every image: the same numbers predict_with_convnet gives for its folder.
ConvnetPrediction encode_all(models::ConvnetClustering& model, const torch::Tensor& images,
                             const detail::Normalisation& normalisation, torch::Device device, const JobContext& job,
                             bool& cancelled) {
    torch::InferenceMode inference;
    model->eval();
    const auto count = images.size(0);
    auto prediction = detail::empty_prediction(model, count);
    for (std::int64_t begin = 0; begin < count; begin += kEncodingBatch) {
        if (job.stop_requested()) {
            cancelled = true;
            return prediction;
        }
        const auto size = std::min(kEncodingBatch, count - begin);
        detail::predict_rows(model, detail::normalise_batch(images.narrow(0, begin, size).to(device), normalisation).contiguous(),
                             begin, prediction);
        job.report(static_cast<double>(begin + size) / static_cast<double>(count), "encoding with the tuned model");
    }
    return prediction;
}

// Removes a partly written output folder unless released: a cancelled or failed fine-tune leaves nothing.
class FolderGuard {
public:
    explicit FolderGuard(std::filesystem::path folder) : folder_(std::move(folder)) {}
    ~FolderGuard() {
        if (folder_.empty()) return;
        std::error_code ignored;
        std::filesystem::remove_all(folder_, ignored);
    }
    void release() { folder_.clear(); }
    FolderGuard(const FolderGuard&) = delete;
    FolderGuard& operator=(const FolderGuard&) = delete;

private:
    std::filesystem::path folder_;
};

struct StepLosses {
    torch::Tensor total;
    EpochLosses terms;
};

}  // namespace

Expected<ConvnetFineTuneResult> fine_tune_convnet(const std::filesystem::path& model_folder, const Dataset& dataset,
                                                  std::span<const Answer> answers,
                                                  const std::filesystem::path& output_folder,
                                                  const ConvnetFineTuneParams& params, const JobContext& job) {
    if (auto valid = check_params(params); !valid) return valid.error();
    std::error_code exists_error;
    if (output_folder.empty() || std::filesystem::exists(output_folder, exists_error)) {
        return make_error(ErrorCode::invalid_argument, "the tuned model needs a new folder, not " + output_folder.string());
    }
    try {
        torch::AutoGradMode enable_grad(true);
        const auto device = detail::compute_device();
        auto loaded = detail::load_convnet(model_folder, torch::kCPU);
        auto model = loaded.model;
        auto info = loaded.info;
        const auto clusters = info.options.clusters;
        auto tensors = answer_tensors(answers, dataset.size(), clusters);
        if (!tensors) return tensors.error();
        const detail::ImageGeometry geometry{static_cast<int>(info.options.input_size),
                                             static_cast<int>(info.options.input_channels)};
        auto images = detail::load_all_images(dataset, geometry, job.stage(0.0, 0.03));
        if (!images) return images.error();
        model->to(device);
        // Channels-last, which pre-training uses for speed, corrupts the heap in this build's
        // oneDNN when eval-mode forwards and training steps alternate on small widths (reproduced
        // with widths 8/16: "corrupted size vs. prev_size" inside convolution_backward). The
        // fine-tune therefore runs in the plain NCHW layout, weights and batches alike.
        {
            torch::NoGradGuard no_grad;
            for (auto& parameter : model->parameters()) {
                if (parameter.dim() == 4) parameter.set_data(parameter.data().contiguous());
            }
        }
        const auto layout = [](const torch::Tensor& batch) { return batch.contiguous(); };

        const auto frozen = frozen_modules(model, params.frozen_leading_blocks);
        std::vector<torch::Tensor> trained;
        {
            std::set<const void*> frozen_parameters;
            for (const auto& module : frozen) {
                for (const auto& parameter : module->parameters()) frozen_parameters.insert(parameter.unsafeGetTensorImpl());
            }
            for (auto& parameter : model->backbone()->parameters()) {
                if (frozen_parameters.count(parameter.unsafeGetTensorImpl())) parameter.set_requires_grad(false);
                else trained.push_back(parameter);
            }
            for (auto& parameter : model->cluster_head()->parameters()) trained.push_back(parameter);
        }
        torch::optim::Adam optimizer(trained, torch::optim::AdamOptions(params.learning_rate).weight_decay(params.weight_decay));
        const auto set_training = [&](bool training) {
            model->train(training);
            for (const auto& module : frozen) module->eval();
        };

        const auto& t = *tensors;
        const std::int64_t positives = t.positive_samples.numel();
        const std::int64_t answered = positives + t.negative_samples.numel();
        const std::int64_t unanswered = t.unanswered.numel();
        const std::int64_t unlabeled_batch = std::min<std::int64_t>(params.unlabeled_batch, unanswered);
        const std::int64_t answer_batch = std::min<std::int64_t>(params.answer_batch, answered);
        const std::int64_t steps_per_epoch = (answered + answer_batch - 1) / answer_batch;
        detail::PseudoLabelTable table(dataset.size(), clusters,
                                       detail::new_labels_per_class(params.new_label_fraction, params.unlabeled_batch, clusters));
        if (auto seeded = detail::seed_lent_labels(table, params.lent_labels, dataset.size(), clusters); !seeded) {
            return seeded.error();
        }
        const auto positive_weights =
            positives > 0 ? detail::balanced_class_weights(t.positive_clusters, clusters).to(device) : torch::Tensor();
        const auto negative_masks = t.negative_masks.to(device);
        const auto& use = params.losses;
        const detail::AugmentationParams augmentation;
        auto generator = at::detail::createCPUGenerator(params.seed * 7919u + 17u);
        const auto training = job.stage(0.03, 0.9);

        ConvnetFineTuneResult result;
        result.positives = positives;
        result.negatives = t.negative_samples.numel();
        Stopwatch training_watch;
        for (int epoch = 0; epoch < params.epochs; ++epoch) {
            const auto order = torch::randperm(answered, generator, torch::kLong);
            EpochLosses sums;
            for (std::int64_t step = 0; step < steps_per_epoch; ++step) {
                if (job.stop_requested()) return cancelled_error();
                const auto rows = order.narrow(0, step * answer_batch, std::min(answer_batch, answered - step * answer_batch));
                const auto positive_rows = rows.masked_select(rows < positives);
                const auto negative_rows = rows.masked_select(rows >= positives) - positives;
                const auto positive_samples = t.positive_samples.index_select(0, positive_rows);
                const auto negative_samples = t.negative_samples.index_select(0, negative_rows);
                torch::Tensor unlabeled = torch::empty({0}, torch::kLong);
                if (use.regularization && unlabeled_batch > 0) {
                    unlabeled = t.unanswered.index_select(
                        0, torch::randperm(unanswered, generator, torch::kLong).narrow(0, 0, unlabeled_batch));
                    // Clean views in eval mode give the labels; the strong views below learn them.
                    set_training(false);
                    torch::NoGradGuard no_grad;
                    const auto clean = layout(detail::normalise_batch(images->index_select(0, unlabeled).to(device), info.normalisation));
                    table.admit(unlabeled, torch::softmax(cluster_logits(model, clean), 1).to(torch::kCPU),
                                params.confidence_threshold);
                }
                set_training(true);
                const auto batch_samples = torch::cat({positive_samples, negative_samples, unlabeled});
                const auto strong = layout(detail::augment_batch(images->index_select(0, batch_samples).to(device), augmentation,
                                                          info.normalisation, generator));
                const auto logits = cluster_logits(model, strong);
                const auto p_count = positive_samples.numel();
                const auto q_count = negative_samples.numel();
                torch::Tensor total = torch::zeros({}, logits.options());
                EpochLosses terms;
                if (use.positive && p_count > 0) {
                    auto loss = torch::nn::functional::cross_entropy(
                        logits.narrow(0, 0, p_count), t.positive_clusters.index_select(0, positive_rows).to(device),
                        torch::nn::functional::CrossEntropyFuncOptions().weight(positive_weights));
                    terms.positive = loss.item<double>();
                    total = total + loss;
                }
                if (use.negative && q_count > 0) {
                    const auto probabilities = torch::softmax(logits.narrow(0, p_count, q_count), 1);
                    const auto mask = negative_masks.index_select(0, negative_rows.to(device));
                    auto loss = -((1.0 - probabilities).clamp_min(kNegativeFloor).log() * mask).sum() / mask.sum().clamp_min(1.0);
                    terms.negative = loss.item<double>();
                    total = total + loss;
                }
                if (unlabeled.numel() > 0) {
                    const auto labels = table.labels_of(unlabeled);
                    const auto labelled = (labels >= 0).nonzero().flatten();
                    if (labelled.numel() > 0) {
                        const auto targets = labels.index_select(0, labelled);
                        auto loss = torch::nn::functional::cross_entropy(
                            logits.narrow(0, p_count + q_count, unlabeled.numel()).index_select(0, labelled.to(device)),
                            targets.to(device),
                            torch::nn::functional::CrossEntropyFuncOptions().weight(
                                detail::balanced_class_weights(targets, clusters).to(device)));
                        terms.regularization = loss.item<double>();
                        total = total + loss;
                    }
                }
                if (total.requires_grad()) {
                    optimizer.zero_grad();
                    total.backward();
                    optimizer.step();
                }
                ++result.steps;
                sums.positive += terms.positive;
                sums.negative += terms.negative;
                sums.regularization += terms.regularization;
                sums.total += terms.positive + terms.negative + terms.regularization;
                const double done = (static_cast<double>(epoch) + static_cast<double>(step + 1) / steps_per_epoch) /
                                    static_cast<double>(params.epochs);
                training.report(done, "fine-tuning the network: epoch " + std::to_string(epoch + 1) + "/" +
                                          std::to_string(params.epochs));
            }
            const auto mean = [&](double value) { return value / static_cast<double>(steps_per_epoch); };
            result.epochs.push_back({mean(sums.positive), mean(sums.negative), mean(sums.regularization), mean(sums.total)});
        }
        result.training_ms = training_watch.elapsed_ms();
        result.pseudo_labelled = table.labelled();

        Stopwatch encoding_watch;
        bool cancelled = false;
        result.prediction = encode_all(model, *images, info.normalisation, device, job.stage(0.9, 0.99), cancelled);
        if (cancelled) return cancelled_error();
        result.encoding_ms = encoding_watch.elapsed_ms();

        // Written under a temporary name and renamed: the folder exists only when complete.
        auto partial = output_folder;
        partial += ".partial";
        std::filesystem::remove_all(partial, exists_error);
        FolderGuard guard(partial);
        model->to(torch::kCPU);
        for (auto& parameter : model->parameters()) parameter.set_requires_grad(true);
        info.training_record = nlohmann::json{{"fine_tuned_from", model_folder.string()},
                                              {"answers", answered},
                                              {"epochs", params.epochs},
                                              {"learning_rate", params.learning_rate},
                                              {"weight_decay", params.weight_decay},
                                              {"frozen_leading_blocks", params.frozen_leading_blocks},
                                              {"seed", params.seed}}
                                   .dump();
        detail::save_convnet(partial, model, optimizer, info);
        std::filesystem::rename(partial, output_folder);
        guard.release();
        job.report(1.0, "tuned model stored");
        return result;
    } catch (const models::CheckpointError& error) {
        return detail::to_error(error);
    } catch (const std::filesystem::filesystem_error& error) {
        return make_error(ErrorCode::io_error, std::string("storing the tuned model failed: ") + error.what());
    } catch (const c10::Error& error) {
        return make_error(ErrorCode::internal, std::string("fine-tuning the network failed: ") + error.what_without_backtrace());
    } catch (const std::exception& error) {
        return make_error(ErrorCode::internal, std::string("fine-tuning the network failed: ") + error.what());
    }
}

}  // namespace corral
