// corral-cli cluster: encode a dataset and cluster it with k-means; print metrics.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

#include "commands.h"
#include "console_progress.h"
#include "corral/core/dataset.h"
#include "corral/core/encoder.h"
#include "corral/core/kmeans.h"
#include "corral/core/metrics.h"

namespace corral::cli {

int run_cluster(Arguments& arguments) {
    const std::string data_spec = arguments.text_or("data", "fashion-mnist");
    const std::string encoder_spec = arguments.text_or("encoder", "pixels");
    auto clusters = arguments.integer_or("clusters", 10);
    auto restarts = arguments.integer_or("restarts", 3);
    auto seed = arguments.integer_or("seed", 0);
    auto limit = arguments.integer_or("limit", 0);
    const std::string metric = arguments.text_or("metric", "euclidean");
    const bool as_json = arguments.flag("json");
    for (const auto* parsed : {&clusters, &restarts, &seed, &limit}) {
        if (!*parsed) return report_failure(parsed->error());
    }
    if (metric != "euclidean" && metric != "cosine") {
        return report_failure(make_error(ErrorCode::invalid_argument, "--metric is euclidean or cosine"));
    }
    if (auto used = arguments.check_all_used(); !used) return report_failure(used.error());

    ConsoleProgress progress(!as_json);
    Stopwatch total;
    DatasetOptions options;
    options.limit = *limit;
    auto dataset = open_dataset(data_spec, options, progress.job());
    if (!dataset) return report_failure(dataset.error());
    for (const auto& skipped : (*dataset)->skipped()) {
        std::cerr << "skipped " << skipped.path.string() << ": " << skipped.reason << "\n";
    }
    auto encoder = create_image_encoder(encoder_spec);
    if (!encoder) return report_failure(encoder.error());

    Stopwatch stage;
    auto features = (*encoder)->encode(**dataset, progress.job());
    if (!features) return report_failure(features.error());
    const double encode_ms = stage.elapsed_ms();

    stage.restart();
    KMeansParams params;
    params.clusters = static_cast<int>(*clusters);
    params.restarts = static_cast<int>(*restarts);
    params.seed = static_cast<std::uint64_t>(*seed);
    params.metric = metric == "cosine" ? DistanceMetric::cosine : DistanceMetric::euclidean;
    auto result = run_kmeans(*features, params, progress.job());
    if (!result) return report_failure(result.error());
    const double cluster_ms = stage.elapsed_ms();
    progress.finish();

    nlohmann::json output = {
        {"dataset", (*dataset)->description()},
        {"images", (*dataset)->size()},
        {"skipped", (*dataset)->skipped().size()},
        {"encoder", (*encoder)->id()},
        {"feature_dimension", features->cols()},
        {"clusters", params.clusters},
        {"inertia", result->inertia},
        {"timing_ms", {{"encode", encode_ms}, {"cluster", cluster_ms}, {"total", total.elapsed_ms()}}},
    };
    if ((*dataset)->has_ground_truth()) {
        const auto scores = score_clustering((*dataset)->labels(), result->assignment);
        output["metrics"] = {{"nmi", scores.nmi}, {"acc", scores.acc}, {"ari", scores.ari}, {"ri", scores.ri}};
    }
    if (as_json) {
        std::cout << output.dump(2) << "\n";
    } else {
        std::printf("%s: %lld images, encoder %s (%lld dims), k-means with %d clusters\n",
                    (*dataset)->description().c_str(), static_cast<long long>((*dataset)->size()),
                    (*encoder)->id().c_str(), static_cast<long long>(features->cols()), params.clusters);
        if (output.contains("metrics")) {
            const auto& m = output["metrics"];
            std::printf("NMI %.4f  ACC %.4f  ARI %.4f  RI %.4f\n", m["nmi"].get<double>(), m["acc"].get<double>(),
                        m["ari"].get<double>(), m["ri"].get<double>());
        }
        std::printf("encode %.1f s, cluster %.1f s\n", encode_ms / 1000, cluster_ms / 1000);
    }
    return 0;
}

}  // namespace corral::cli
