#include "corral/core/multisub.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <numeric>
#include <random>

#include "corral/core/kmeans.h"
#include "encoders/clip_encoder.h"
#include "encoders/clip_preprocess.h"
#include "guard.h"
#include "tensor_bridge.h"

namespace corral {
namespace {

// The prompt's token embeddings split around the proxy slot, so a batch of proxies is spliced
// in with one cat instead of a per-row copy.
struct PromptEmbedding {
    torch::Tensor before;  // [1, tokens before "*", text hidden], the start token included
    torch::Tensor after;   // [1, tokens after "*", text hidden], up to and including the end token
    std::int64_t end_position = 0;
};

Expected<PromptEmbedding> embed_prompt(models::ClipModel& model, const models::ClipTokenizer& tokenizer,
                                       const MultiSubParams& params, torch::Device device) {
    std::string text = params.prompt_template;
    for (std::size_t at = text.find("{object}"); at != std::string::npos; at = text.find("{object}", at)) {
        text.replace(at, 8, params.object_word);
        at += params.object_word.size();
    }
    const auto star = text.find('*');
    if (star == std::string::npos || text.find('*', star + 1) != std::string::npos) {
        return make_error(ErrorCode::invalid_argument,
                          "the Multi-Sub prompt must contain '*' exactly once (where the proxy word goes): '" +
                              params.prompt_template + "'");
    }
    std::vector<std::int64_t> before{tokenizer.start_token()};
    for (auto id : tokenizer.encode(text.substr(0, star))) before.push_back(id);
    std::vector<std::int64_t> after = tokenizer.encode(text.substr(star + 1));
    after.push_back(tokenizer.end_token());
    const auto tokens = static_cast<std::int64_t>(before.size() + 1 + after.size());
    if (tokens > model->config().text.max_positions) {
        return make_error(ErrorCode::invalid_argument, "the Multi-Sub prompt is " + std::to_string(tokens) +
                                                           " tokens; this model's context is " +
                                                           std::to_string(model->config().text.max_positions));
    }
    auto embed = [&](const std::vector<std::int64_t>& ids) {
        return model->embed_tokens(torch::tensor(ids, torch::kInt64).to(device).unsqueeze(0)).to(torch::kFloat32);
    };
    return PromptEmbedding{embed(before), embed(after), tokens - 1};
}

// z_k: the mean token embedding of each word, [words, text hidden].
Expected<torch::Tensor> embed_words(models::ClipModel& model, const models::ClipTokenizer& tokenizer,
                                    const std::vector<std::string>& words, torch::Device device) {
    std::vector<torch::Tensor> rows;
    for (const auto& word : words) {
        const auto ids = tokenizer.encode(word);
        if (ids.empty()) return make_error(ErrorCode::invalid_argument, "the reference word '" + word + "' has no tokens");
        rows.push_back(model->embed_tokens(torch::tensor(ids, torch::kInt64).to(device)).to(torch::kFloat32).mean(0));
    }
    return torch::stack(rows);
}

// Pooled image-tower outputs (before the projection Multi-Sub trains), [images, vision hidden].
Expected<torch::Tensor> pooled_image_features(models::ClipModel& model, const Dataset& dataset, torch::Device device,
                                              const JobContext& job) {
    constexpr std::int64_t kBatch = 32;
    const auto n = dataset.size();
    const int size = static_cast<int>(model->config().vision.image_size);
    std::vector<torch::Tensor> parts;
    for (std::int64_t begin = 0; begin < n; begin += kBatch) {
        if (job.stop_requested()) return cancelled_error();
        auto batch = detail::load_clip_batch(dataset, begin, std::min(kBatch, n - begin), size, job);
        if (!batch) return batch.error();
        parts.push_back(model->pooled_image(detail::clip_normalize(*batch, device)).to(torch::kFloat32));
        job.report(static_cast<double>(begin + parts.back().size(0)) / n, "CLIP image features");
    }
    return torch::cat(parts);
}

struct TrainingState {
    torch::Tensor pooled;       // [n, vision hidden], fixed
    torch::Tensor word_embeddings;  // z, [words, text hidden], fixed
    torch::Tensor latents;      // p, [n, text hidden], one leaf trained by dense Adam
    torch::Tensor projection;   // W, [projection dim, vision hidden], a private copy of the model's
    PromptEmbedding prompt;
};

torch::Tensor image_features(const TrainingState& state, const torch::Tensor& rows) {
    return detail::normalized_rows(state.pooled.index_select(0, rows).matmul(state.projection.t()));
}

std::vector<torch::Tensor> shuffled_batches(std::int64_t n, int batch_size, std::mt19937_64& random, torch::Device device) {
    std::vector<std::int64_t> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), random);
    std::vector<torch::Tensor> batches;
    for (std::int64_t begin = 0; begin < n; begin += batch_size) {
        const auto end = std::min<std::int64_t>(n, begin + batch_size);
        batches.push_back(torch::tensor(std::vector<std::int64_t>(order.begin() + begin, order.begin() + end), torch::kInt64).to(device));
    }
    return batches;
}

// Phase I: 1 − cos(x_i, text(prompt with w_i)), over the latents and the projection.
double phase_one_epoch(models::ClipModel& model, TrainingState& state, torch::optim::Adam& latent_optimizer,
                       torch::optim::Adam& projection_optimizer, const std::vector<torch::Tensor>& batches) {
    double total = 0.0;
    for (const auto& rows : batches) {
        const auto batch = rows.size(0);
        const auto latents = state.latents.index_select(0, rows);
        const auto weights = torch::softmax(latents.matmul(state.word_embeddings.t()), 1);
        const auto proxies = weights.matmul(state.word_embeddings);
        const auto tokens = torch::cat({state.prompt.before.expand({batch, -1, -1}), proxies.unsqueeze(1),
                                        state.prompt.after.expand({batch, -1, -1})},
                                       1);
        const auto ends = torch::full({batch}, state.prompt.end_position, rows.options());
        const auto text = model->encode_text_embeddings(tokens, ends).to(torch::kFloat32);
        const auto loss = (1 - torch::cosine_similarity(image_features(state, rows), text, 1)).mean();
        // Gradients for the latents and the projection only: the shared model's own parameters
        // are read by other encoders and must neither train nor accumulate .grad.
        const auto gradients = torch::autograd::grad({loss}, {state.latents, state.projection});
        torch::NoGradGuard no_grad;
        state.latents.mutable_grad() = gradients[0];
        latent_optimizer.step();
        state.projection.mutable_grad() = gradients[1];
        projection_optimizer.step();
        total += loss.item<double>() * static_cast<double>(batch);
    }
    return total / static_cast<double>(state.latents.size(0));
}

torch::Tensor word_weights(const TrainingState& state, const torch::Tensor& rows) {
    return torch::softmax(state.latents.index_select(0, rows).matmul(state.word_embeddings.t()), 1);
}

// v_i = [w_i / |w_i|, x_i / |x_i|]: both halves on the unit sphere, so the margin m = 1 means
// the same in either and neither dominates the final k-means by scale.
torch::Tensor joint_features(const TrainingState& state, const torch::Tensor& rows, const torch::Tensor& weights) {
    const auto proxies = detail::normalized_rows(weights.matmul(state.word_embeddings));
    return torch::cat({proxies, image_features(state, rows)}, 1);
}

// What the final k-means sees: [w, x] with each half centred and scaled to unit mean squared
// norm. Proxies are mixtures of a few word embeddings and sit close together on the sphere, so
// at equal scale the image half (which mixes every aspect) would decide the clusters alone.
torch::Tensor clustering_features(const TrainingState& state, const torch::Tensor& rows, const torch::Tensor& weights) {
    auto standardize = [](const torch::Tensor& half) {
        const auto centred = half - half.mean(0, true);
        return centred / centred.square().sum(1).mean().sqrt().clamp_min(1e-12);
    };
    return torch::cat({standardize(weights.matmul(state.word_embeddings)), standardize(image_features(state, rows))}, 1);
}

// Phase II: λ·(mean squared distance of same-pseudo-label pairs) + (1−λ)·(mean relu(m − distance)
// of different-label pairs) over v, training the projection.
double phase_two_epoch(TrainingState& state, torch::optim::Adam& projection_optimizer, const MultiSubParams& params,
                       const std::vector<torch::Tensor>& batches) {
    double total = 0.0;
    for (const auto& rows : batches) {
        torch::Tensor weights;
        {
            torch::NoGradGuard no_grad;
            weights = word_weights(state, rows);
        }
        const auto labels = weights.argmax(1);
        const auto v = joint_features(state, rows, weights);
        const auto squared = (v.unsqueeze(1) - v.unsqueeze(0)).square().sum(-1);
        const auto distance = (squared + 1e-12).sqrt();
        const auto same = labels.unsqueeze(1) == labels.unsqueeze(0);
        const auto off_diagonal = torch::eye(rows.size(0), v.options()).to(torch::kBool).logical_not();
        const auto intra_mask = same.logical_and(off_diagonal);
        const auto inter_mask = same.logical_not();
        auto loss = torch::zeros({}, v.options());
        if (intra_mask.any().item<bool>()) loss = loss + params.lambda * squared.masked_select(intra_mask).mean();
        if (inter_mask.any().item<bool>()) {
            loss = loss + (1 - params.lambda) * torch::relu(params.margin - distance.masked_select(inter_mask)).mean();
        }
        if (!loss.requires_grad()) continue;
        const auto gradients = torch::autograd::grad({loss}, {state.projection});
        torch::NoGradGuard no_grad;
        state.projection.mutable_grad() = gradients[0];
        projection_optimizer.step();
        total += loss.item<double>() * static_cast<double>(rows.size(0));
    }
    return total / static_cast<double>(state.latents.size(0));
}

Status check_params(const MultiSubParams& params, const Dataset& dataset) {
    auto invalid = [](const std::string& what) { return make_error(ErrorCode::invalid_argument, "Multi-Sub: " + what); };
    if (params.words.size() < 2) return invalid("at least two reference words are needed");
    if (params.clusters < 1) return invalid("the number of clusters must be at least 1");
    if (dataset.size() < params.clusters) return invalid("fewer images than clusters");
    if (params.alternations < 1 || params.phase_one_epochs < 0 || params.phase_two_epochs < 0) {
        return invalid("alternations must be at least 1 and epochs not negative");
    }
    if (params.batch_size < 2) return invalid("the batch size must be at least 2");
    if (!(params.latent_learning_rate > 0) || !(params.projection_learning_rate >= 0)) return invalid("learning rates must be positive");
    if (!(params.lambda >= 0 && params.lambda <= 1)) return invalid("lambda must lie in [0, 1]");
    return ok();
}

std::vector<std::vector<std::pair<std::string, double>>> cluster_words(const FloatMatrix& weights, const std::vector<int>& assignment,
                                                                       const std::vector<std::string>& words, int clusters) {
    std::vector<std::vector<double>> sums(static_cast<std::size_t>(clusters), std::vector<double>(words.size(), 0.0));
    std::vector<std::int64_t> members(static_cast<std::size_t>(clusters), 0);
    for (std::int64_t i = 0; i < weights.rows(); ++i) {
        const auto cluster = static_cast<std::size_t>(assignment[static_cast<std::size_t>(i)]);
        ++members[cluster];
        for (std::size_t k = 0; k < words.size(); ++k) sums[cluster][k] += weights(i, static_cast<std::int64_t>(k));
    }
    std::vector<std::vector<std::pair<std::string, double>>> result(static_cast<std::size_t>(clusters));
    for (std::size_t c = 0; c < result.size(); ++c) {
        for (std::size_t k = 0; k < words.size(); ++k) {
            result[c].emplace_back(words[k], members[c] ? sums[c][k] / static_cast<double>(members[c]) : 0.0);
        }
        std::stable_sort(result[c].begin(), result[c].end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    }
    return result;
}

Expected<MultiSubResult> run(const std::string& clip_model_dir, const Dataset& dataset, const MultiSubParams& params,
                             const JobContext& job) {
    Stopwatch clock;
    if (auto valid = check_params(params, dataset); !valid) return valid.error();
    auto resources = detail::load_clip_resources(clip_model_dir);
    if (!resources) return resources.error();
    auto tokenizer = (*resources)->tokenizer();
    if (!tokenizer) return tokenizer.error();
    auto& model = (*resources)->model;
    const auto device = detail::compute_device();
    // The caller may sit in inference mode; training needs autograd on this thread.
    c10::InferenceMode no_inference(false);
    torch::AutoGradMode grad_mode(true);

    TrainingState state;
    {
        torch::NoGradGuard no_grad;
        auto pooled = pooled_image_features(model, dataset, device, job.stage(0.0, 0.15));
        if (!pooled) return pooled.error();
        state.pooled = *pooled;
        auto words = embed_words(model, **tokenizer, params.words, device);
        if (!words) return words.error();
        state.word_embeddings = *words;
        auto prompt = embed_prompt(model, **tokenizer, params, device);
        if (!prompt) return prompt.error();
        state.prompt = *prompt;
        // p_i starts at the embedding of "*", the placeholder the proxy replaces.
        const auto star = (*tokenizer)->token_id("*</w>");
        const auto start = star ? model->embed_tokens(torch::tensor({*star}, torch::kInt64).to(device)).to(torch::kFloat32)
                                : torch::zeros({1, state.word_embeddings.size(1)}, state.word_embeddings.options());
        state.latents = start.expand({dataset.size(), -1}).clone();
        state.projection = model->image_projection()->weight.detach().to(torch::kFloat32).clone();
    }
    state.projection.requires_grad_(true);
    // Dense Adam over all latents, as the reference's plain parameter: a latent's momentum keeps
    // moving it between the batches that contain it, which a per-row (sparse) Adam at lr 5e-3 lacks:
    // with a few batches per epoch it left the proxies near uniform.
    state.latents.requires_grad_(true);
    torch::optim::Adam latent_optimizer({state.latents}, torch::optim::AdamOptions(params.latent_learning_rate));
    torch::optim::Adam projection_optimizer({state.projection}, torch::optim::AdamOptions(params.projection_learning_rate));

    MultiSubResult result;
    std::mt19937_64 random(params.seed);
    const int epochs_per_round = params.phase_one_epochs + params.phase_two_epochs;
    const double total_epochs = std::max(1, params.alternations * epochs_per_round);
    int done = 0;
    const auto training = job.stage(0.15, 0.95);
    for (int round = 0; round < params.alternations; ++round) {
        for (int epoch = 0; epoch < epochs_per_round; ++epoch) {
            if (job.stop_requested()) return cancelled_error();
            const auto batches = shuffled_batches(dataset.size(), params.batch_size, random, device);
            const bool phase_one = epoch < params.phase_one_epochs;
            if (phase_one) {
                result.phase_one_losses.push_back(phase_one_epoch(model, state, latent_optimizer, projection_optimizer, batches));
            } else {
                result.phase_two_losses.push_back(phase_two_epoch(state, projection_optimizer, params, batches));
            }
            ++done;
            training.report(done / total_epochs, phase_one ? "Multi-Sub: proxy learning" : "Multi-Sub: clustering phase");
        }
    }

    {
        torch::NoGradGuard no_grad;
        const auto all = torch::arange(dataset.size(), torch::TensorOptions().dtype(torch::kInt64).device(device));
        const auto weights = word_weights(state, all);
        result.word_weights = detail::to_matrix(weights);
        result.features = detail::to_matrix(clustering_features(state, all, weights));
    }
    KMeansParams kmeans;
    kmeans.clusters = params.clusters;
    kmeans.restarts = 5;
    kmeans.seed = params.seed;
    auto clustered = run_kmeans(result.features, kmeans, job.stage(0.95, 1.0));
    if (!clustered) return clustered.error();
    result.aspect = params.aspect;
    result.words = params.words;
    result.clusters = params.clusters;
    result.assignment = std::move(clustered->assignment);
    result.cluster_top_words = cluster_words(result.word_weights, result.assignment, params.words, params.clusters);
    result.elapsed_ms = clock.elapsed_ms();
    job.report(1.0, "Multi-Sub done");
    return result;
}

}  // namespace

Expected<MultiSubResult> run_multisub(const std::string& clip_model_dir, const Dataset& dataset, const MultiSubParams& params,
                                      const JobContext& job) {
    return detail::guarded("Multi-Sub", [&] { return run(clip_model_dir, dataset, params, job); });
}

std::string multisub_parameters_json(const MultiSubParams& params, const MultiSubResult& result, int top_words) {
    nlohmann::json top = nlohmann::json::array();
    for (const auto& cluster : result.cluster_top_words) {
        nlohmann::json words = nlohmann::json::array();
        for (std::size_t k = 0; k < cluster.size() && static_cast<int>(k) < top_words; ++k) {
            words.push_back({{"word", cluster[k].first}, {"weight", cluster[k].second}});
        }
        top.push_back(std::move(words));
    }
    const nlohmann::json json = {{"aspect", params.aspect},
                                 {"words", params.words},
                                 {"prompt", params.prompt_template},
                                 {"object", params.object_word},
                                 {"clusters", params.clusters},
                                 {"alternations", params.alternations},
                                 {"phase_one_epochs", params.phase_one_epochs},
                                 {"phase_two_epochs", params.phase_two_epochs},
                                 {"latent_learning_rate", params.latent_learning_rate},
                                 {"seed", params.seed},
                                 {"top_words", std::move(top)}};
    // Words and prompts come from the user; bytes that are not UTF-8 must not throw here.
    return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace corral
