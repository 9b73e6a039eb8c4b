#include "corral/core/feedback_training.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>
#include <string>

#include "corral/models/cluster_head.h"
#include "idc/self_training.h"
#include "tensor_bridge.h"

namespace corral {
namespace {

constexpr std::int64_t kPredictionBlock = 8192;
constexpr double kNegativeFloor = 1e-5;

torch::Tensor index_tensor(const std::vector<std::int64_t>& values, torch::Device device) {
    return torch::tensor(values, torch::TensorOptions().dtype(torch::kInt64)).to(device);
}

// The answers as tensors: positives with their cluster, negatives with a mask of rejected clusters.
struct AnswerSet {
    std::vector<std::int64_t> positive_samples;
    std::vector<std::int64_t> positive_clusters;
    std::vector<std::int64_t> negative_samples;
    std::vector<float> negative_masks;  // negatives x clusters, 1 = rejected
    std::vector<char> answered;         // N
};

Expected<AnswerSet> collect_answers(std::span<const Answer> answers, std::int64_t n, int clusters) {
    AnswerSet set;
    set.answered.assign(static_cast<std::size_t>(n), 0);
    for (const auto& answer : answers) {
        if (answer.kind == AnswerKind::skip) continue;
        if (answer.sample < 0 || answer.sample >= n) {
            return make_error(ErrorCode::invalid_argument, "feedback: answered sample out of range");
        }
        set.answered[static_cast<std::size_t>(answer.sample)] = 1;
        if (answer.kind == AnswerKind::positive) {
            if (answer.cluster < 0 || answer.cluster >= clusters) {
                return make_error(ErrorCode::invalid_argument, "feedback: answered cluster out of range");
            }
            set.positive_samples.push_back(answer.sample);
            set.positive_clusters.push_back(answer.cluster);
        } else {
            std::vector<float> mask(static_cast<std::size_t>(clusters), 0.0f);
            for (const int cluster : answer.rejected) {
                if (cluster < 0 || cluster >= clusters) {
                    return make_error(ErrorCode::invalid_argument, "feedback: rejected cluster out of range");
                }
                mask[static_cast<std::size_t>(cluster)] = 1.0f;
            }
            set.negative_samples.push_back(answer.sample);
            set.negative_masks.insert(set.negative_masks.end(), mask.begin(), mask.end());
        }
    }
    return set;
}

// Mini-batches of a few hundred rows gain nothing from intra-op threads, and threads that spin
// at every small op's barrier make training many times slower on a busy machine (measured: 20x
// with other processes on 2 cores). OpenMP's thread count is per calling thread, so this only
// narrows the job's own thread, and is restored on exit.
class SingleThreadScope {
public:
    SingleThreadScope() : previous_(at::get_num_threads()) { at::set_num_threads(1); }
    ~SingleThreadScope() { at::set_num_threads(previous_); }
    SingleThreadScope(const SingleThreadScope&) = delete;
    SingleThreadScope& operator=(const SingleThreadScope&) = delete;

private:
    int previous_;
};

}  // namespace

struct FeedbackTrainer::State {
    models::ClusterHead head{nullptr};
    torch::Device device{torch::kCPU};
    std::int64_t dimension = 0;
};

FeedbackTrainer::FeedbackTrainer(FeedbackTrainerParams params) : params_(params) {}
FeedbackTrainer::~FeedbackTrainer() = default;
FeedbackTrainer::FeedbackTrainer(FeedbackTrainer&&) noexcept = default;
FeedbackTrainer& FeedbackTrainer::operator=(FeedbackTrainer&&) noexcept = default;

FeedbackTrainer FeedbackTrainer::copy() const {
    FeedbackTrainer twin(params_);
    if (!state_) return twin;
    auto state = std::make_unique<State>();
    state->device = state_->device;
    state->dimension = state_->dimension;
    state->head = models::ClusterHead(state_->head->options());
    state->head->to(state->device);
    torch::NoGradGuard no_grad;
    const auto source = state_->head->named_parameters(true);
    for (auto& item : state->head->named_parameters(true)) item.value().copy_(source[item.key()]);
    twin.state_ = std::move(state);
    return twin;
}

Status FeedbackTrainer::set_params(const FeedbackTrainerParams& params) {
    if (state_ && (params.clusters != params_.clusters || params.hidden_dimension != params_.hidden_dimension)) {
        return make_error(ErrorCode::invalid_argument, "feedback: the fitted head's shape cannot change");
    }
    params_ = params;
    return ok();
}

int initial_fit_epochs(const FeedbackTrainerParams& params, std::int64_t samples) {
    const std::int64_t batch = std::max(1, params.initial_fit_batch);
    // A few hundred images make one or two batches: ten epochs would leave the head unsure
    // of every cluster, so no sample passes the self-training threshold and a handful of
    // answers then drags all images into the answered clusters.
    const std::int64_t steps_per_epoch = std::max<std::int64_t>(1, (samples + batch - 1) / batch);
    return static_cast<int>(std::max<std::int64_t>(std::max(1, params.initial_fit_epochs),
                                                   (params.initial_fit_min_steps + steps_per_epoch - 1) / steps_per_epoch));
}

std::int64_t initial_fit_steps(const FeedbackTrainerParams& params, std::int64_t samples) {
    const std::int64_t batch = std::max(1, params.initial_fit_batch);
    const std::int64_t steps = initial_fit_epochs(params, samples) * std::max<std::int64_t>(1, (samples + batch - 1) / batch);
    if (params.initial_fit_max_steps <= 0) return steps;
    return std::min<std::int64_t>(steps, std::max(params.initial_fit_max_steps, params.initial_fit_min_steps));
}

Expected<ClusterPrediction> FeedbackTrainer::fit_initial(const FloatMatrix& features, std::span<const int> assignment,
                                                         const JobContext& job) {
    const std::int64_t n = features.rows();
    if (n == 0 || features.cols() == 0) return make_error(ErrorCode::invalid_argument, "feedback: no features");
    if (static_cast<std::int64_t>(assignment.size()) != n) {
        return make_error(ErrorCode::invalid_argument, "feedback: one initial cluster per sample is needed");
    }
    if (params_.clusters < 2) return make_error(ErrorCode::invalid_argument, "feedback: at least two clusters");
    for (const int cluster : assignment) {
        if (cluster < 0 || cluster >= params_.clusters) {
            return make_error(ErrorCode::invalid_argument, "feedback: initial cluster out of range");
        }
    }
    try {
        torch::AutoGradMode grad(true);
        SingleThreadScope single_thread;
        auto state = std::make_unique<State>();
        state->device = detail::compute_device();
        state->dimension = features.cols();
        torch::manual_seed(params_.seed);
        state->head = models::ClusterHead(models::ClusterHeadOptions{features.cols(), params_.hidden_dimension, params_.clusters});
        state->head->to(state->device);
        const auto points = detail::normalized_rows(detail::to_tensor_view(features, state->device));
        const auto labels = torch::from_blob(const_cast<int*>(assignment.data()), {n}, torch::kInt32)
                                .to(state->device, torch::kInt64);
        torch::optim::Adam optimizer(state->head->parameters(), torch::optim::AdamOptions(params_.initial_fit_learning_rate));
        auto generator = at::detail::createCPUGenerator(params_.seed);
        const std::int64_t batch = std::max(1, params_.initial_fit_batch);
        const int epochs = initial_fit_epochs(params_, n);
        const std::int64_t total_steps = initial_fit_steps(params_, n);
        std::int64_t steps = 0;
        for (int epoch = 0; epoch < epochs && steps < total_steps; ++epoch) {
            const auto order = torch::randperm(n, generator, torch::TensorOptions().dtype(torch::kInt64)).to(state->device);
            for (std::int64_t begin = 0; begin < n && steps < total_steps; begin += batch, ++steps) {
                if (job.stop_requested()) return cancelled_error();
                const auto rows = order.narrow(0, begin, std::min(batch, n - begin));
                auto loss = torch::nn::functional::cross_entropy(state->head->logits(points.index_select(0, rows)),
                                                                 labels.index_select(0, rows));
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }
            job.report(static_cast<double>(steps) / static_cast<double>(total_steps), "fitting the cluster head");
        }
        state_ = std::move(state);
        return predict(features);
    } catch (const c10::Error& error) {
        return make_error(ErrorCode::internal, std::string("feedback: ") + error.what_without_backtrace());
    }
}

Expected<FeedbackTrainingResult> FeedbackTrainer::fine_tune(const FloatMatrix& features, std::span<const Answer> answers,
                                                            const JobContext& job) {
    return fine_tune(features, answers, {}, job);
}

Expected<FeedbackTrainingResult> FeedbackTrainer::fine_tune(const FloatMatrix& features, std::span<const Answer> answers,
                                                            std::span<const LentLabel> lent, const JobContext& job) {
    if (!state_) return make_error(ErrorCode::invalid_argument, "feedback: fit the initial clustering first");
    if (features.cols() != state_->dimension) {
        return make_error(ErrorCode::invalid_argument, "feedback: features differ in width from the fitted ones");
    }
    const std::int64_t n = features.rows();
    const std::int64_t clusters = params_.clusters;
    auto collected = collect_answers(answers, n, params_.clusters);
    if (!collected) return collected.error();
    const AnswerSet& set = *collected;
    try {
        torch::AutoGradMode grad(true);
        SingleThreadScope single_thread;
        Stopwatch clock;
        const auto device = state_->device;
        auto& head = state_->head;
        head->train();
        const auto points = detail::normalized_rows(detail::to_tensor_view(features, device));
        std::vector<std::int64_t> unanswered;
        for (std::int64_t i = 0; i < n; ++i) if (!set.answered[static_cast<std::size_t>(i)]) unanswered.push_back(i);
        const auto unanswered_index = index_tensor(unanswered, device);
        const auto positive_samples = index_tensor(set.positive_samples, device);
        const auto positive_clusters = index_tensor(set.positive_clusters, device);
        const auto negative_samples = index_tensor(set.negative_samples, device);
        const auto negative_masks =
            torch::tensor(set.negative_masks, torch::kFloat32).reshape({-1, clusters}).to(device);
        const std::int64_t positives = positive_samples.numel();
        const std::int64_t labelled = positives + negative_samples.numel();
        const std::int64_t batch = std::max(1, params_.positive_batch);
        const std::int64_t steps = std::max<std::int64_t>(1, (labelled + batch - 1) / batch);
        const std::int64_t unlabeled_batch = std::min<std::int64_t>(params_.unlabeled_batch, unanswered_index.numel());
        const std::int64_t cap = params_.pseudo_labels_per_class > 0
                                     ? params_.pseudo_labels_per_class
                                     : detail::new_labels_per_class(0.2, params_.unlabeled_batch, clusters);
        detail::PseudoLabelTable table(n, clusters, cap);
        if (auto seeded = detail::seed_lent_labels(table, lent, n, clusters); !seeded) return seeded.error();
        const auto perturbed = [&](const torch::Tensor& rows, at::Generator& draws) {
            const auto noise = torch::randn(rows.sizes(), draws, torch::kFloat32).to(device) * params_.feature_noise;
            const auto keep = (torch::rand(rows.sizes(), draws, torch::kFloat32) >= params_.feature_dropout).to(device);
            return detail::normalized_rows((rows + noise) * keep.to(rows.dtype()));
        };
        const auto& use = params_.losses;

        torch::optim::Adam optimizer(head->parameters(),
                                     torch::optim::AdamOptions(params_.learning_rate).weight_decay(params_.weight_decay));
        auto generator = at::detail::createCPUGenerator(params_.seed + 1);
        FeedbackTrainingResult result;
        result.positives = positives;
        result.negatives = negative_samples.numel();
        const int epochs = std::max(0, params_.epochs);
        for (int epoch = 0; epoch < epochs; ++epoch) {
            // Positives and negatives shuffled together: one ordering over all answers.
            const auto order = torch::randperm(std::max<std::int64_t>(labelled, 1), generator,
                                               torch::TensorOptions().dtype(torch::kInt64)).to(device);
            EpochLosses sums;
            for (std::int64_t step = 0; step < steps; ++step) {
                if (job.stop_requested()) return cancelled_error();
                torch::Tensor total = torch::zeros({}, points.options());
                EpochLosses terms;
                if (labelled > 0) {
                    const auto rows = order.narrow(0, step * batch, std::min(batch, labelled - step * batch));
                    const auto positive_rows = rows.masked_select(rows < positives);
                    const auto negative_rows = rows.masked_select(rows >= positives) - positives;
                    if (use.positive && positive_rows.numel() > 0) {
                        auto loss = torch::nn::functional::cross_entropy(
                            head->logits(points.index_select(0, positive_samples.index_select(0, positive_rows))),
                            positive_clusters.index_select(0, positive_rows));
                        terms.positive = loss.item<double>();
                        total = total + loss;
                    }
                    if (use.negative && negative_rows.numel() > 0) {
                        const auto probabilities =
                            head->forward(points.index_select(0, negative_samples.index_select(0, negative_rows)));
                        const auto mask = negative_masks.index_select(0, negative_rows);
                        auto loss = -((1.0 - probabilities).clamp_min(kNegativeFloor).log() * mask).sum() /
                                    mask.sum().clamp_min(1.0);
                        terms.negative = loss.item<double>();
                        total = total + loss;
                    }
                }
                if (use.regularization && unlabeled_batch > 0) {
                    const auto pick = unanswered_index.index_select(
                        0, torch::randperm(unanswered_index.numel(), generator, torch::TensorOptions().dtype(torch::kInt64))
                               .narrow(0, 0, unlabeled_batch)
                               .to(device));
                    const auto clean = points.index_select(0, pick);
                    {
                        // Labels from the clean features; the loss is taken on perturbed views of
                        // them, so confident samples still teach the head something.
                        torch::NoGradGuard no_grad;
                        table.admit(pick.to(torch::kCPU), head->forward(clean), params_.confidence_threshold);
                    }
                    const auto labels = table.labels_of(pick.to(torch::kCPU));
                    const auto labelled = (labels >= 0).nonzero().flatten();
                    if (labelled.numel() > 0) {
                        const auto targets = labels.index_select(0, labelled).to(device);
                        const auto views = perturbed(clean.index_select(0, labelled.to(device)), generator);
                        auto loss = torch::nn::functional::cross_entropy(
                            head->logits(views), targets,
                            torch::nn::functional::CrossEntropyFuncOptions().weight(
                                detail::balanced_class_weights(targets, clusters)));
                        terms.regularization = loss.item<double>();
                        total = total + loss;
                    }
                }
                if (total.requires_grad()) {
                    optimizer.zero_grad();
                    total.backward();
                    optimizer.step();
                }
                sums.positive += terms.positive;
                sums.negative += terms.negative;
                sums.regularization += terms.regularization;
                sums.total += terms.positive + terms.negative + terms.regularization;
            }
            const auto divide = [&](double value) { return value / static_cast<double>(steps); };
            result.epochs.push_back({divide(sums.positive), divide(sums.negative), divide(sums.regularization),
                                     divide(sums.total)});
            job.report(static_cast<double>(epoch + 1) / std::max(epochs, 1), "fine-tuning with the answers");
        }
        head->eval();
        result.pseudo_labelled = table.labelled();
        auto prediction = predict(features);
        if (!prediction) return prediction.error();
        result.prediction = std::move(*prediction);
        result.elapsed_ms = clock.elapsed_ms();
        return result;
    } catch (const c10::Error& error) {
        return make_error(ErrorCode::internal, std::string("feedback: ") + error.what_without_backtrace());
    }
}

Expected<ClusterPrediction> FeedbackTrainer::predict(const FloatMatrix& features) const {
    if (!state_) return make_error(ErrorCode::invalid_argument, "feedback: no fitted cluster head");
    if (features.cols() != state_->dimension) {
        return make_error(ErrorCode::invalid_argument, "feedback: features differ in width from the fitted ones");
    }
    try {
        torch::InferenceMode inference;
        const std::int64_t n = features.rows();
        const auto points = detail::normalized_rows(detail::to_tensor_view(features, state_->device));
        std::vector<torch::Tensor> blocks;
        for (std::int64_t begin = 0; begin < n; begin += kPredictionBlock) {
            blocks.push_back(state_->head->forward(points.narrow(0, begin, std::min(kPredictionBlock, n - begin))));
        }
        const auto probabilities = torch::cat(blocks);
        const auto labels = probabilities.argmax(1);
        const std::int64_t clusters = probabilities.size(1);
        auto sums = torch::zeros({clusters, points.size(1)}, points.options()).index_add_(0, labels, points);
        const auto counts = torch::bincount(labels, {}, clusters).to(points.dtype());
        auto centres = sums / counts.clamp_min(1.0).unsqueeze(1);
        // A cluster nobody is assigned to keeps a centre: its most probable sample.
        const auto empty = (counts == 0).nonzero().flatten();
        if (empty.numel() > 0) {
            const auto nearest = probabilities.index_select(1, empty).argmax(0);
            centres.index_put_({empty}, points.index_select(0, nearest));
        }
        ClusterPrediction prediction;
        prediction.probabilities = detail::to_matrix(probabilities);
        prediction.centres = detail::to_matrix(centres);
        const auto host = labels.to(torch::kCPU, torch::kInt32).contiguous();
        prediction.assignment.assign(host.data_ptr<int>(), host.data_ptr<int>() + host.numel());
        return prediction;
    } catch (const c10::Error& error) {
        return make_error(ErrorCode::internal, std::string("feedback: ") + error.what_without_backtrace());
    }
}

Expected<std::vector<std::byte>> FeedbackTrainer::save_head() const {
    if (!state_) return make_error(ErrorCode::invalid_argument, "feedback: no fitted cluster head to save");
    try {
        torch::serialize::OutputArchive archive;
        state_->head->save(archive);
        std::ostringstream stream;
        archive.save_to(stream);
        const std::string text = stream.str();
        std::vector<std::byte> bytes(text.size());
        std::memcpy(bytes.data(), text.data(), text.size());
        return bytes;
    } catch (const std::exception& error) {
        return make_error(ErrorCode::internal, std::string("feedback: saving the head failed: ") + error.what());
    }
}

Status FeedbackTrainer::load_head(std::span<const std::byte> bytes, std::int64_t feature_dimension) {
    if (feature_dimension < 1) return make_error(ErrorCode::invalid_argument, "feedback: no feature width");
    try {
        auto state = std::make_unique<State>();
        state->device = detail::compute_device();
        state->dimension = feature_dimension;
        state->head = models::ClusterHead(models::ClusterHeadOptions{feature_dimension, params_.hidden_dimension, params_.clusters});
        std::istringstream stream(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
        std::vector<std::vector<std::int64_t>> shapes;
        for (const auto& parameter : state->head->parameters()) shapes.push_back(parameter.sizes().vec());
        torch::serialize::InputArchive archive;
        archive.load_from(stream, state->device);
        state->head->load(archive);
        // Loading replaces tensors whatever their shape: a head of another shape must not pass.
        const auto loaded = state->head->parameters();
        for (std::size_t i = 0; i < loaded.size(); ++i) {
            if (loaded[i].sizes().vec() != shapes[i]) {
                return make_error(ErrorCode::corrupt_data, "feedback: the saved head has another shape");
            }
        }
        state->head->to(state->device);
        state_ = std::move(state);
        return ok();
    } catch (const std::exception& error) {
        // c10::Error derives from std::exception: a wrong shape or damaged bytes end here.
        return make_error(ErrorCode::corrupt_data, std::string("feedback: the saved head cannot be loaded: ") + error.what());
    }
}

}  // namespace corral
