#include "tiny_clip_training.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <fstream>
#include <random>

#include "corral/models/clip_model.h"
#include "corral/models/clip_tokenizer.h"
#include "corral/models/safetensors.h"
#include "test_support.h"

namespace corral::testing {
namespace {

const std::vector<cv::Scalar> kColors = {{40, 40, 220}, {40, 200, 40}, {220, 60, 40}, {30, 220, 230}};  // BGR
const std::vector<std::string> kColorNames = {"red", "green", "blue", "yellow"};
const std::vector<std::string> kShapeNames = {"circle", "square", "triangle", "cross"};

void draw_shape(cv::Mat& image, int shape, cv::Point centre, int radius, const cv::Scalar& color) {
    switch (shape) {
        case 0: cv::circle(image, centre, radius, color, cv::FILLED, cv::LINE_AA); break;
        case 1: cv::rectangle(image, centre - cv::Point(radius, radius), centre + cv::Point(radius, radius), color, cv::FILLED); break;
        case 2: {
            std::vector<cv::Point> corners = {centre + cv::Point(0, -radius), centre + cv::Point(radius, radius),
                                              centre + cv::Point(-radius, radius)};
            cv::fillConvexPoly(image, corners, color, cv::LINE_AA);
            break;
        }
        default: {
            const int arm = std::max(2, radius / 3);
            cv::rectangle(image, centre - cv::Point(radius, arm), centre + cv::Point(radius, arm), color, cv::FILLED);
            cv::rectangle(image, centre - cv::Point(arm, radius), centre + cv::Point(arm, radius), color, cv::FILLED);
        }
    }
}

// Pixels as CLIP normalises them, [n, 3, 32, 32], RGB.
torch::Tensor load_pixels(const ColoredShapes& data) {
    std::vector<torch::Tensor> images;
    for (const auto& file : data.files) {
        cv::Mat bgr = cv::imread(file.string(), cv::IMREAD_COLOR);
        cv::Mat rgb;
        cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
        images.push_back(torch::from_blob(rgb.data, {32, 32, 3}, torch::kUInt8).permute({2, 0, 1}).to(torch::kFloat32).div(255));
    }
    const auto mean = torch::tensor({0.48145466f, 0.4578275f, 0.40821073f}).view({1, 3, 1, 1});
    const auto std = torch::tensor({0.26862954f, 0.26130258f, 0.27577711f}).view({1, 3, 1, 1});
    return (torch::stack(images) - mean) / std;
}

struct Caption {
    std::string text;
    int color = -1;  // -1: the caption does not name one
    int shape = -1;
};

std::vector<Caption> all_captions() {
    std::vector<Caption> captions;
    for (int c = 0; c < 4; ++c) {
        for (int s = 0; s < 4; ++s) captions.push_back({"a " + kColorNames[c] + " " + kShapeNames[s], c, s});
    }
    for (int c = 0; c < 4; ++c) captions.push_back({"a " + kColorNames[c] + " object", c, -1});
    for (int s = 0; s < 4; ++s) captions.push_back({"a " + kShapeNames[s] + " shape", -1, s});
    return captions;
}

models::ClipConfig tiny_config() {
    models::ClipConfig config;
    config.vision.hidden_size = 64;
    config.vision.intermediate_size = 128;
    config.vision.layers = 2;
    config.vision.heads = 4;
    config.vision.image_size = 32;
    config.vision.patch_size = 8;
    config.text.hidden_size = 64;
    config.text.intermediate_size = 128;
    config.text.layers = 2;
    config.text.heads = 4;
    config.text.vocabulary_size = 49408;
    config.text.max_positions = 16;
    config.projection_dim = 32;
    return config;
}

nlohmann::json config_json(const models::ClipConfig& config) {
    auto tower = [](const models::ClipTowerConfig& t) {
        return nlohmann::json{{"hidden_size", t.hidden_size}, {"intermediate_size", t.intermediate_size},
                              {"num_hidden_layers", t.layers}, {"num_attention_heads", t.heads}, {"hidden_act", "quick_gelu"}};
    };
    auto vision = tower(config.vision);
    vision["image_size"] = config.vision.image_size;
    vision["patch_size"] = config.vision.patch_size;
    auto text = tower(config.text);
    text["vocab_size"] = config.text.vocabulary_size;
    text["max_position_embeddings"] = config.text.max_positions;
    return {{"architectures", {"CLIPModel"}}, {"model_type", "clip"}, {"projection_dim", config.projection_dim},
            {"text_config", text}, {"vision_config", vision}};
}

}  // namespace

ColoredShapes render_colored_shapes(const std::filesystem::path& folder, int per_combination, unsigned seed) {
    ColoredShapes data{kColorNames, kShapeNames, folder, {}, {}, {}};
    std::mt19937 random(seed);
    std::uniform_int_distribution<int> offset(-5, 5), radius(7, 11), shade(-35, 35), noise(0, 60);
    std::ofstream shape_csv(folder / "shape.csv");
    shape_csv << "path,label\n";
    for (int c = 0; c < 4; ++c) {
        std::filesystem::create_directories(folder / kColorNames[c]);
        for (int s = 0; s < 4; ++s) {
            for (int k = 0; k < per_combination; ++k) {
                cv::Mat image(32, 32, CV_8UC3);
                cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(noise(random) + 1));
                const int delta = shade(random);
                const cv::Scalar color = kColors[static_cast<std::size_t>(c)] + cv::Scalar(delta, delta, delta);
                draw_shape(image, s, {16 + offset(random), 16 + offset(random)}, radius(random), color);
                char name[64];
                std::snprintf(name, sizeof name, "%s_%s_%03d.png", kColorNames[c].c_str(), kShapeNames[s].c_str(), k);
                const auto relative = std::filesystem::path(kColorNames[c]) / name;
                cv::imwrite((folder / relative).string(), image);
                shape_csv << relative.generic_string() << "," << kShapeNames[s] << "\n";
                data.files.push_back(folder / relative);
                data.color_of.push_back(c);
                data.shape_of.push_back(s);
            }
        }
    }
    return data;
}

double train_tiny_clip(const ColoredShapes& data, const std::filesystem::path& model_folder, int epochs, unsigned seed) {
    torch::manual_seed(seed);
    const auto bpe = shared_dir() / "data" / "clip" / "bpe_simple_vocab_16e6.txt.gz";
    const auto tokenizer = models::ClipTokenizer::from_bpe_archive(bpe);
    const auto config = tiny_config();
    models::ClipModel model(config);
    {
        // CLIP's initialisation of the token table: small, so a word's embedding starts near zero.
        torch::NoGradGuard no_grad;
        for (auto& item : model->named_parameters()) {
            if (item.key() == "text_model.embeddings.token_embedding.weight") item.value().normal_(0, 0.02);
            if (item.key().find("position_embedding.weight") != std::string::npos) item.value().normal_(0, 0.01);
        }
    }
    model->train();

    const auto pixels = load_pixels(data);
    const auto captions = all_captions();
    std::vector<std::string> texts;
    for (const auto& caption : captions) texts.push_back(caption.text);
    const auto tokens = tokenizer.tokenize(texts, config.text.max_positions);
    const auto ends = torch::tensor(tokens.end_positions, torch::kInt64);
    // Which caption describes which image: the soft targets of the contrastive loss.
    const auto n = static_cast<std::int64_t>(data.files.size());
    auto describes = torch::zeros({n, static_cast<std::int64_t>(captions.size())});
    for (std::int64_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < captions.size(); ++j) {
            const bool color_ok = captions[j].color < 0 || captions[j].color == data.color_of[static_cast<std::size_t>(i)];
            const bool shape_ok = captions[j].shape < 0 || captions[j].shape == data.shape_of[static_cast<std::size_t>(i)];
            describes[i][static_cast<std::int64_t>(j)] = color_ok && shape_ok ? 1.0f : 0.0f;
        }
    }

    torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(2e-3).weight_decay(0.01));
    constexpr std::int64_t kBatch = 64;
    double last_loss = 0.0;
    for (int epoch = 0; epoch < epochs; ++epoch) {
        const auto order = torch::randperm(n, torch::kInt64);
        double total = 0.0;
        for (std::int64_t begin = 0; begin < n; begin += kBatch) {
            const auto rows = order.narrow(0, begin, std::min(kBatch, n - begin));
            const auto image = torch::nn::functional::normalize(model->encode_image(pixels.index_select(0, rows)),
                                                                torch::nn::functional::NormalizeFuncOptions().dim(1));
            // Every caption in every step: the 24 texts are the classes of this contrastive task.
            const auto text = torch::nn::functional::normalize(model->encode_text(tokens.ids, ends),
                                                               torch::nn::functional::NormalizeFuncOptions().dim(1));
            const auto logits = image.matmul(text.t()) * model->logit_scale.exp().clamp_max(100);
            const auto target = describes.index_select(0, rows);
            const auto image_to_text = -(torch::log_softmax(logits, 1) * (target / target.sum(1, true))).sum(1).mean();
            const auto column_mass = target.sum(0, true);
            const auto present = column_mass.squeeze(0) > 0;
            const auto text_to_image = -(torch::log_softmax(logits, 0) * (target / column_mass.clamp_min(1))).sum(0).masked_select(present).mean();
            const auto loss = (image_to_text + text_to_image) / 2;
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            total += loss.item<double>() * static_cast<double>(rows.size(0));
        }
        last_loss = total / static_cast<double>(n);
    }

    model->eval();
    std::filesystem::create_directories(model_folder);
    std::map<std::string, torch::Tensor> tensors;
    for (const auto& item : model->named_parameters()) tensors[item.key()] = item.value().detach().contiguous();
    models::write_safetensors(model_folder / "model.safetensors", tensors);
    std::ofstream(model_folder / "config.json") << config_json(config).dump(2);
    std::filesystem::copy_file(bpe, model_folder / "bpe_simple_vocab_16e6.txt.gz");
    return last_loss;
}

}  // namespace corral::testing
