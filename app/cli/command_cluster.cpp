// corral-cli cluster: encode a dataset and cluster it with k-means; print metrics. With
// --project, the dataset, the features (reused on the next run) and the clustering (as the
// current one) are saved in the project, so the work continues in the GUI.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

#include "commands.h"
#include "console_progress.h"
#include "corral/core/dataset.h"
#include "corral/core/encoder.h"
#include "corral/core/kmeans.h"
#include "corral/core/metrics.h"
#include "corral/core/project.h"
#include "corral/core/project_data.h"

namespace corral::cli {

int run_cluster(Arguments& arguments) {
    std::string data_spec = arguments.text_or("data", "fashion-mnist");
    const auto duplicates = arguments.text("duplicates");
    const std::string encoder_spec = arguments.text_or("encoder", "pixels");
    auto clusters = arguments.integer_in("clusters", 10, 1, 100000);
    auto restarts = arguments.integer_in("restarts", 3, 1, 1000);
    auto seed = arguments.integer_in("seed", 0, 0);
    auto limit = arguments.integer_in("limit", 0, 0);
    const std::string metric = arguments.text_or("metric", "euclidean");
    const bool as_json = arguments.flag("json");
    const auto project_path = arguments.text("project");
    const auto clustering_name = arguments.text("name");
    for (const auto* parsed : {&clusters, &restarts, &seed, &limit}) {
        if (!*parsed) return report_failure(parsed->error());
    }
    if (metric != "euclidean" && metric != "cosine") {
        return report_failure(make_error(ErrorCode::invalid_argument, "--metric is euclidean or cosine"));
    }
    if (duplicates) {
        auto spec = with_duplicates(data_spec, *duplicates);
        if (!spec) return report_failure(spec.error());
        data_spec = *spec;
    }
    if (auto used = arguments.check_all_used(); !used) return report_failure(used.error());

    ConsoleProgress progress(!as_json);
    Stopwatch total;
    auto dataset = open_command_dataset(data_spec, *limit, progress.job());
    if (!dataset) return report_failure(dataset.error());
    auto encoder = create_image_encoder(encoder_spec);
    if (!encoder) return report_failure(encoder.error());
    auto opened = open_command_project(project_path);
    if (!opened) return report_failure(opened.error());
    std::unique_ptr<Project> project = std::move(opened->project);
    NewProjectCleanup cleanup(project, opened->created);
    if (project) {
        if (auto registered = register_dataset(*project, data_spec, *limit, **dataset, progress.job()); !registered) {
            return report_failure(registered.error());
        }
    }

    Stopwatch stage;
    bool features_reused = false;
    Expected<FloatMatrix> features = FloatMatrix{};
    if (project) {
        auto cached = cached_features(*project, **encoder, **dataset, progress.job());
        if (!cached) return report_failure(cached.error());
        if (!cached->recompute_reason.empty()) std::cerr << "recomputing features: " << cached->recompute_reason << "\n";
        features_reused = cached->reused;
        features = std::move(cached->features);
    } else {
        features = (*encoder)->encode(**dataset, progress.job());
    }
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
    std::string saved_as;
    if (project) {
        saved_as = clustering_name.value_or("kmeans-" + std::to_string(params.clusters));
        const nlohmann::json parameters = {{"clusters", params.clusters}, {"restarts", params.restarts},
                                           {"seed", params.seed}, {"metric", metric}, {"inertia", result->inertia}};
        auto saved = project->save_clustering(
            {0, saved_as, "kmeans", parameters.dump(), (*encoder)->id(), params.clusters, result->assignment, {}, ""});
        if (!saved) return report_failure(saved.error());
        if (auto current = project->set_current_clustering(*saved); !current) return report_failure(current.error());
        cleanup.keep();
    }

    nlohmann::json output = {
        {"dataset", (*dataset)->description()},
        {"images", (*dataset)->size()},
        {"skipped", (*dataset)->skipped().size()},
        {"duplicates", (*dataset)->duplicates().size()},
        {"encoder", (*encoder)->id()},
        {"feature_dimension", features->cols()},
        {"clusters", params.clusters},
        {"inertia", result->inertia},
        {"features_reused", features_reused},
        {"timing_ms", {{"encode", encode_ms}, {"cluster", cluster_ms}, {"total", total.elapsed_ms()}}},
    };
    if (project) output["project"] = {{"path", project->folder().string()}, {"clustering", saved_as}};
    if ((*dataset)->has_ground_truth()) {
        const auto scores = score_clustering((*dataset)->labels(), result->assignment);
        output["metrics"] = {{"nmi", scores.nmi}, {"acc", scores.acc}, {"ari", scores.ari}, {"ri", scores.ri}};
    }
    if (as_json) {
        std::cout << json_output(output) << "\n";
    } else {
        std::printf("%s: %lld images, encoder %s (%lld dims), k-means with %d clusters\n",
                    (*dataset)->description().c_str(), static_cast<long long>((*dataset)->size()),
                    (*encoder)->id().c_str(), static_cast<long long>(features->cols()), params.clusters);
        if (output.contains("metrics")) {
            const auto& m = output["metrics"];
            std::printf("NMI %.4f  ACC %.4f  ARI %.4f  RI %.4f\n", m["nmi"].get<double>(), m["acc"].get<double>(),
                        m["ari"].get<double>(), m["ri"].get<double>());
        }
        std::printf("encode %.1f s%s, cluster %.1f s\n", encode_ms / 1000, features_reused ? " (cached)" : "",
                    cluster_ms / 1000);
        if (project) std::printf("saved as clustering '%s' in %s\n", saved_as.c_str(), project->folder().c_str());
    }
    return 0;
}

}  // namespace corral::cli
