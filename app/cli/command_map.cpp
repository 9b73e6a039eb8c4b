// corral-cli map: encode a dataset and lay it out with t-SNE; write the 2-D map as CSV.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.h"
#include "console_progress.h"
#include "corral/core/dataset.h"
#include "corral/core/encoder.h"
#include "corral/core/tsne.h"

namespace corral::cli {
namespace {

// CSV of index,item,x,y[,class]; written to a temporary name and renamed, so a failed or
// interrupted run never leaves half a map.
Status write_map_csv(const std::filesystem::path& path, const Dataset& dataset, const FloatMatrix& layout) {
    const auto partial = std::filesystem::path(path.string() + ".partial");
    {
        std::ofstream out(partial);
        if (!out) return make_error(ErrorCode::io_error, "cannot write " + partial.string());
        const bool with_class = dataset.has_ground_truth();
        out << "index,item,x,y" << (with_class ? ",class\n" : "\n");
        for (std::int64_t i = 0; i < layout.rows(); ++i) {
            out << i << ",\"" << dataset.item_name(i) << "\"," << layout(i, 0) << "," << layout(i, 1);
            if (with_class) {
                const int label = dataset.labels()[static_cast<std::size_t>(i)];
                out << "," << (label >= 0 ? dataset.class_names()[static_cast<std::size_t>(label)] : "");
            }
            out << "\n";
        }
        if (!out.flush()) return make_error(ErrorCode::io_error, "cannot write " + partial.string());
    }
    std::error_code error;
    std::filesystem::rename(partial, path, error);
    if (error) return make_error(ErrorCode::io_error, "cannot rename to " + path.string() + ": " + error.message());
    return ok();
}

}  // namespace

int run_map(Arguments& arguments) {
    const std::string data_spec = arguments.text_or("data", "fashion-mnist");
    const std::string encoder_spec = arguments.text_or("encoder", "pixels");
    const auto out_path = arguments.text("out");
    auto perplexity = arguments.number_or("perplexity", 30.0);
    auto iterations = arguments.integer_or("iterations", 750);
    auto seed = arguments.integer_or("seed", 0);
    auto limit = arguments.integer_or("limit", 0);
    const bool as_json = arguments.flag("json");
    if (!perplexity) return report_failure(perplexity.error());
    for (const auto* parsed : {&iterations, &seed, &limit}) {
        if (!*parsed) return report_failure(parsed->error());
    }
    if (!out_path) return report_failure(make_error(ErrorCode::invalid_argument, "map needs --out FILE.csv"));
    if (auto used = arguments.check_all_used(); !used) return report_failure(used.error());

    ConsoleProgress progress(!as_json);
    Stopwatch total;
    DatasetOptions options;
    options.limit = *limit;
    auto dataset = open_dataset(data_spec, options, progress.job());
    if (!dataset) return report_failure(dataset.error());
    auto encoder = create_image_encoder(encoder_spec);
    if (!encoder) return report_failure(encoder.error());
    Stopwatch stage;
    auto features = (*encoder)->encode(**dataset, progress.job());
    if (!features) return report_failure(features.error());
    const double encode_ms = stage.elapsed_ms();

    TsneParams params;
    params.perplexity = *perplexity;
    params.iterations = static_cast<int>(*iterations);
    params.exaggeration_iterations = std::min(params.exaggeration_iterations, params.iterations);
    params.seed = static_cast<std::uint64_t>(*seed);
    auto map = run_tsne(*features, params, progress.job());
    if (!map) return report_failure(map.error());
    if (auto written = write_map_csv(*out_path, **dataset, map->layout); !written) return report_failure(written.error());
    progress.finish();

    const auto& t = map->timings;
    nlohmann::json output = {
        {"dataset", (*dataset)->description()},
        {"images", (*dataset)->size()},
        {"encoder", (*encoder)->id()},
        {"feature_dimension", features->cols()},
        {"out", *out_path},
        {"perplexity", params.perplexity},
        {"neighbours", map->neighbours},
        {"iterations", params.iterations},
        {"learning_rate", map->learning_rate},
        {"kl_divergence", map->kl_divergence},
        {"kl_exact", map->kl_exact},
        {"timing_ms",
         {{"encode", encode_ms}, {"pca", t.pca_ms}, {"neighbours", t.neighbours_ms}, {"affinities", t.affinities_ms},
          {"optimisation", t.optimisation_ms}, {"map", t.total_ms}, {"total", total.elapsed_ms()}}},
    };
    if (as_json) {
        std::cout << output.dump(2) << "\n";
    } else {
        std::printf("%s: %lld images, encoder %s (%lld dims) -> %s\n", (*dataset)->description().c_str(),
                    static_cast<long long>((*dataset)->size()), (*encoder)->id().c_str(),
                    static_cast<long long>(features->cols()), out_path->c_str());
        std::printf("t-SNE: KL %.4f, %d iterations; encode %.1f s, map %.1f s (kNN %.1f s, descent %.1f s)\n",
                    map->kl_divergence, params.iterations, encode_ms / 1000, t.total_ms / 1000, t.neighbours_ms / 1000,
                    t.optimisation_ms / 1000);
    }
    return 0;
}

}  // namespace corral::cli
