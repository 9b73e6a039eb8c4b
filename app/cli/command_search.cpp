// corral-cli search: zero-shot text->image retrieval with a CLIP model folder.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <numeric>

#include "commands.h"
#include "console_progress.h"
#include "corral/core/dataset.h"
#include "corral/core/encoder.h"
#include "corral/core/text_encoder.h"

namespace corral::cli {

int run_search(Arguments& arguments) {
    const auto data_spec = arguments.text("data");
    const std::string encoder_spec = arguments.text_or("encoder", "");
    const auto query = arguments.text("text");
    auto top = arguments.integer_in("top", 10, 1, 100000);
    auto limit = arguments.integer_in("limit", 0, 0);
    const bool as_json = arguments.flag("json");
    for (const auto* parsed : {&top, &limit}) {
        if (!*parsed) return report_failure(parsed->error());
    }
    if (!data_spec || !query || encoder_spec.rfind("clip:", 0) != 0) {
        return report_failure(make_error(ErrorCode::invalid_argument,
                                         "usage: corral-cli search --data SPEC --encoder clip:MODEL_DIR --text \"a red fruit\" "
                                         "[--top 10] [--limit N] [--json]"));
    }
    if (auto used = arguments.check_all_used(); !used) return report_failure(used.error());

    ConsoleProgress progress(!as_json);
    Stopwatch total;
    // The model is checked before the (possibly long) dataset scan, so a bad folder fails at once.
    auto text_encoder = create_text_encoder(encoder_spec);
    if (!text_encoder) return report_failure(text_encoder.error());
    auto query_features = (*text_encoder)->encode({*query}, progress.job());
    if (!query_features) return report_failure(query_features.error());
    auto image_encoder = create_image_encoder(encoder_spec);
    if (!image_encoder) return report_failure(image_encoder.error());
    auto dataset = open_command_dataset(*data_spec, *limit, progress.job());
    if (!dataset) return report_failure(dataset.error());
    Stopwatch stage;
    auto image_features = (*image_encoder)->encode(**dataset, progress.job());
    if (!image_features) return report_failure(image_features.error());
    const double encode_ms = stage.elapsed_ms();
    progress.finish();

    normalize_rows(*image_features);
    normalize_rows(*query_features);
    const auto q = query_features->row(0);
    std::vector<double> scores(static_cast<std::size_t>(image_features->rows()));
    for (std::int64_t i = 0; i < image_features->rows(); ++i) {
        const auto row = image_features->row(i);
        scores[static_cast<std::size_t>(i)] = std::inner_product(row.begin(), row.end(), q.begin(), 0.0);
    }
    std::vector<std::int64_t> order(scores.size());
    std::iota(order.begin(), order.end(), 0);
    const auto shown = std::min<std::size_t>(static_cast<std::size_t>(*top), order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(shown), order.end(),
                      [&](auto a, auto b) { return scores[static_cast<std::size_t>(a)] > scores[static_cast<std::size_t>(b)]; });

    const auto& labels = (*dataset)->labels();
    const auto& classes = (*dataset)->class_names();
    nlohmann::json results = nlohmann::json::array();
    for (std::size_t rank = 0; rank < shown; ++rank) {
        const auto index = order[rank];
        nlohmann::json result = {{"rank", rank + 1}, {"index", index}, {"item", (*dataset)->item_name(index)},
                                 {"cosine", scores[static_cast<std::size_t>(index)]}};
        if (!labels.empty() && labels[static_cast<std::size_t>(index)] >= 0) {
            result["class"] = classes[static_cast<std::size_t>(labels[static_cast<std::size_t>(index)])];
        }
        results.push_back(std::move(result));
    }
    if (as_json) {
        nlohmann::json output = {{"query", *query},
                                 {"dataset", (*dataset)->description()},
                                 {"images", (*dataset)->size()},
                                 {"encoder", (*image_encoder)->id()},
                                 {"text_encoder", (*text_encoder)->id()},
                                 {"results", results},
                                 {"timing_ms", {{"encode", encode_ms}, {"total", total.elapsed_ms()}}}};
        std::cout << json_output(output) << "\n";
    } else {
        std::printf("\"%s\" in %s (%s)\n", query->c_str(), (*dataset)->description().c_str(), (*image_encoder)->id().c_str());
        for (const auto& result : results) {
            std::printf("%3d  %.4f  %s%s\n", result["rank"].get<int>(), result["cosine"].get<double>(),
                        result["item"].get<std::string>().c_str(),
                        result.contains("class") ? ("  [" + result["class"].get<std::string>() + "]").c_str() : "");
        }
    }
    return 0;
}

}  // namespace corral::cli
