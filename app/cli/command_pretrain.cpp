// corral-cli pretrain: train the embedded convnet clustering model on a dataset, then report how
// its cluster head groups the dataset (NMI/ACC/ARI/RI when there is ground truth).
#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "console_progress.h"
#include "corral/core/convnet.h"
#include "corral/core/dataset.h"
#include "corral/core/metrics.h"
#include "corral/core/runtime.h"

namespace corral::cli {
namespace {

Expected<std::vector<int>> parse_widths(const std::string& text) {
    std::vector<int> widths;
    std::stringstream stream(text);
    std::string item;
    while (std::getline(stream, item, ',')) {
        int width = 0;
        const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), width);
        if (error != std::errc() || end != item.data() + item.size() || width < 1 || width > 4096) {
            return make_error(ErrorCode::invalid_argument,
                              "--widths is a comma-separated list of channel counts from 1 to 4096, not '" + text + "'");
        }
        widths.push_back(width);
    }
    return widths;
}

}  // namespace

int run_pretrain(Arguments& arguments) {
    ConvnetTrainingParams params;
    const std::string data_spec = arguments.text_or("data", "fashion-mnist");
    const auto out = arguments.text("out");
    auto clusters = arguments.integer_in("clusters", params.clusters, 2, 10000);
    auto epochs = arguments.integer_in("epochs", params.epochs, 1, 100000);
    auto per_epoch = arguments.integer_in("images-per-epoch", params.images_per_epoch, 0);
    auto batch = arguments.integer_in("batch", params.batch_size, 2, 65536);
    auto size = arguments.integer_in("size", params.input_size, 0, 128);
    auto seed = arguments.integer_in("seed", 0, 0);
    auto limit = arguments.integer_in("limit", 0, 0);
    auto blocks = arguments.integer_in("blocks", params.blocks_per_stage, 1, 4);
    auto feature_dimension = arguments.integer_in("feature-dim", params.feature_dimension, 0, 4096);
    auto rate = arguments.number_in("lr", params.learning_rate, 0.0, 10.0, true);
    const auto widths_text = arguments.text("widths");
    const bool restart = arguments.flag("restart");
    const bool as_json = arguments.flag("json");
    for (const auto* parsed : {&clusters, &epochs, &per_epoch, &batch, &size, &seed, &limit, &blocks, &feature_dimension}) {
        if (!*parsed) return report_failure(parsed->error());
    }
    if (!rate) return report_failure(rate.error());
    if (!out) return report_failure(make_error(ErrorCode::invalid_argument, "pretrain needs --out DIR (the model folder)"));
    if (auto used = arguments.check_all_used(); !used) return report_failure(used.error());
    if (widths_text) {
        auto widths = parse_widths(*widths_text);
        if (!widths) return report_failure(widths.error());
        params.widths = *widths;
    }
    params.output_folder = *out;
    params.clusters = static_cast<int>(*clusters);
    params.epochs = static_cast<int>(*epochs);
    params.images_per_epoch = *per_epoch;
    params.batch_size = static_cast<int>(*batch);
    params.input_size = static_cast<int>(*size);
    params.seed = static_cast<std::uint64_t>(*seed);
    params.learning_rate = *rate;
    params.blocks_per_stage = static_cast<int>(*blocks);
    params.feature_dimension = static_cast<int>(*feature_dimension);
    params.resume = !restart;

    ConsoleProgress progress(!as_json);
    auto dataset = open_command_dataset(data_spec, *limit, progress.job());
    if (!dataset) return report_failure(dataset.error());
    auto report = train_convnet(**dataset, params, progress.job());
    if (!report) return report_failure(report.error());
    Stopwatch predict_watch;
    auto prediction = predict_with_convnet(params.output_folder, **dataset, progress.job());
    if (!prediction) return report_failure(prediction.error());
    const double predict_ms = predict_watch.elapsed_ms();
    progress.finish();

    nlohmann::json epochs_json = nlohmann::json::array();
    for (const auto& epoch : report->epochs) {
        epochs_json.push_back({{"epoch", epoch.epoch},
                               {"instance_loss", epoch.instance_loss},
                               {"cluster_loss", epoch.cluster_loss},
                               {"entropy_loss", epoch.entropy_loss},
                               {"elapsed_ms", epoch.elapsed_ms},
                               {"images_per_second", epoch.images_per_second}});
    }
    nlohmann::json output = {
        {"dataset", (*dataset)->description()},
        {"images", (*dataset)->size()},
        {"model", params.output_folder.string()},
        {"clusters", params.clusters},
        {"epochs_completed", report->epochs_completed},
        {"resumed_from_epoch", report->resumed_from_epoch},
        {"runtime", runtime_summary()},
        {"timing_ms", {{"load", report->load_ms}, {"train", report->training_ms}, {"predict", predict_ms}}},
        {"training_images_per_second", report->images_per_second},
        {"prediction_images_per_second", static_cast<double>((*dataset)->size()) / std::max(1e-9, predict_ms / 1000.0)},
        {"epochs", epochs_json},
    };
    if ((*dataset)->has_ground_truth()) {
        const auto scores = score_clustering((*dataset)->labels(), prediction->assignment);
        output["metrics"] = {{"nmi", scores.nmi}, {"acc", scores.acc}, {"ari", scores.ari}, {"ri", scores.ri}};
    }
    if (as_json) {
        std::cout << json_output(output) << "\n";
        return 0;
    }
    std::printf("%s: convnet with %d clusters in %s, %d epochs (resumed from %d)\n", (*dataset)->description().c_str(),
                params.clusters, params.output_folder.string().c_str(), report->epochs_completed,
                report->resumed_from_epoch);
    std::printf("training %.1f s (%.0f images/s), prediction %.1f s\n", report->training_ms / 1000,
                report->images_per_second, predict_ms / 1000);
    if (output.contains("metrics")) {
        const auto& m = output["metrics"];
        std::printf("cluster head: NMI %.4f  ACC %.4f  ARI %.4f  RI %.4f\n", m["nmi"].get<double>(),
                    m["acc"].get<double>(), m["ari"].get<double>(), m["ri"].get<double>());
    }
    return 0;
}

}  // namespace corral::cli
