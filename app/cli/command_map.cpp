// corral-cli map: encode a dataset and lay it out with t-SNE; write the 2-D map as CSV. With
// --project, the dataset and cached features come from the project (its recorded dataset and the
// session's encoder unless --data / --encoder say otherwise), the features are L2-normalised as
// the GUI's map does, the layout is stored as the project's map, and the CSV gains the current
// clustering's cluster per image.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.h"
#include "console_progress.h"
#include "corral/core/dataset.h"
#include "corral/core/encoder.h"
#include "corral/core/interactive_session.h"
#include "corral/core/project.h"
#include "corral/core/project_data.h"
#include "corral/core/project_export.h"
#include "corral/core/tsne.h"

namespace corral::cli {
namespace {

// CSV of index,item,x,y[,class][,cluster]; written to a temporary name and renamed, so a failed or
// interrupted run never leaves half a map.
Status write_map_csv(const std::filesystem::path& path, const Dataset& dataset, const FloatMatrix& layout,
                     const std::vector<int>& clusters) {
    const auto partial = std::filesystem::path(path.string() + ".partial");
    // Errors name what the user asked for, not our temporary file.
    const auto folder = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    std::error_code error;
    if (!std::filesystem::is_directory(folder, error)) {
        return make_error(ErrorCode::not_found, path.string() + ": cannot be written, the folder " + folder.string() +
                                                    " does not exist");
    }
    {
        std::ofstream out(partial);
        if (!out) return make_error(ErrorCode::io_error, "cannot write " + path.string() + " (in " + folder.string() + ")");
        const bool with_class = dataset.has_ground_truth();
        const bool with_cluster = !clusters.empty();
        out << "index,item,x,y" << (with_class ? ",class" : "") << (with_cluster ? ",cluster\n" : "\n");
        for (std::int64_t i = 0; i < layout.rows(); ++i) {
            std::string item = dataset.item_name(i);
            for (std::size_t at = 0; (at = item.find('"', at)) != std::string::npos; at += 2) item.insert(at, 1, '"');
            out << i << ",\"" << item << "\"," << layout(i, 0) << "," << layout(i, 1);
            if (with_class) {
                const int label = dataset.labels()[static_cast<std::size_t>(i)];
                out << "," << (label >= 0 ? dataset.class_names()[static_cast<std::size_t>(label)] : "");
            }
            if (with_cluster) out << "," << clusters[static_cast<std::size_t>(i)];
            out << "\n";
        }
        if (!out.flush()) {
            out.close();
            std::filesystem::remove(partial, error);
            return make_error(ErrorCode::io_error, "cannot write " + path.string() + " (the disk may be full)");
        }
    }
    std::filesystem::rename(partial, path, error);
    if (error) return make_error(ErrorCode::io_error, "cannot rename to " + path.string() + ": " + error.message());
    return ok();
}

// The current clustering's assignment, or empty when there is none (or it is for other images).
Expected<std::vector<int>> current_clusters(const Project& project, std::int64_t images) {
    auto id = project.current_clustering_id();
    if (!id) return id.error();
    if (!*id) return std::vector<int>{};
    auto clustering = project.clustering(**id);
    if (!clustering) return clustering.error();
    if (static_cast<std::int64_t>(clustering->assignment.size()) != images) return std::vector<int>{};
    return std::move(clustering->assignment);
}

}  // namespace

int run_map(Arguments& arguments) {
    const auto data_argument = arguments.text("data");
    const auto encoder_argument = arguments.text("encoder");
    const auto project_path = arguments.text("project");
    const auto out_path = arguments.text("out");
    auto perplexity = arguments.number_in("perplexity", 30.0, 1.0, 10000.0);
    auto iterations = arguments.integer_in("iterations", 750, 1, 100000);
    auto seed = arguments.integer_in("seed", 0, 0);
    auto limit_argument = arguments.integer_in("limit", -1, 0);  // -1: not given
    const bool as_json = arguments.flag("json");
    if (!perplexity) return report_failure(perplexity.error());
    for (const auto* parsed : {&iterations, &seed}) {
        if (!*parsed) return report_failure(parsed->error());
    }
    if (!limit_argument) return report_failure(limit_argument.error());
    const bool force = arguments.flag("force");
    if (!out_path) return report_failure(make_error(ErrorCode::invalid_argument, "map needs --out FILE.csv"));
    if (auto used = arguments.check_all_used(); !used) return report_failure(used.error());
    // Checked before the (long) t-SNE run, and again by nothing later: the CSV is written by rename.
    if (auto allowed = check_output_target(*out_path, false, force); !allowed) return report_failure(allowed.error());

    ConsoleProgress progress(!as_json);
    Stopwatch total;
    auto opened = open_command_project(project_path);
    if (!opened) return report_failure(opened.error());
    std::unique_ptr<Project> project = std::move(opened->project);
    NewProjectCleanup cleanup(project, opened->created);
    const ProjectDefaults defaults = opened->defaults;
    const std::string data_spec = data_argument.value_or(defaults.data_spec);
    const long long limit = *limit_argument >= 0 ? *limit_argument : (data_argument ? 0 : defaults.limit);
    auto dataset = open_command_dataset(data_spec, limit, progress.job());
    if (!dataset) return report_failure(dataset.error());
    auto encoder = create_image_encoder(encoder_argument.value_or(defaults.encoder_spec));
    if (!encoder) return report_failure(encoder.error());
    Stopwatch stage;
    Expected<FloatMatrix> features = FloatMatrix{};
    bool features_reused = false;
    if (project) {
        if (auto registered = register_dataset(*project, data_spec, limit, **dataset, progress.job()); !registered) {
            return report_failure(registered.error());
        }
        auto cached = cached_features(*project, **encoder, **dataset, progress.job());
        if (!cached) return report_failure(cached.error());
        if (!cached->recompute_reason.empty()) std::cerr << "recomputing features: " << cached->recompute_reason << "\n";
        features_reused = cached->reused;
        // As the session's map does, so the CLI and the GUI draw the same map of a project.
        normalize_rows(cached->features);
        features = std::move(cached->features);
    } else {
        features = (*encoder)->encode(**dataset, progress.job());
    }
    if (!features) return report_failure(features.error());
    const double encode_ms = stage.elapsed_ms();

    TsneParams params = map_tsne_params(features->cols());
    params.perplexity = *perplexity;
    params.iterations = static_cast<int>(*iterations);
    params.exaggeration_iterations = std::min(params.exaggeration_iterations, params.iterations);
    params.seed = static_cast<std::uint64_t>(*seed);
    auto map = run_tsne(*features, params, progress.job());
    if (!map) return report_failure(map.error());
    std::vector<int> clusters;
    if (project) {
        if (auto stored = project->store_map(kTsneMapName, map->layout); !stored) return report_failure(stored.error());
        cleanup.keep();
        auto current = current_clusters(*project, (*dataset)->size());
        if (!current) return report_failure(current.error());
        clusters = std::move(*current);
    }
    if (auto written = write_map_csv(*out_path, **dataset, map->layout, clusters); !written) {
        return report_failure(written.error());
    }
    progress.finish();

    const auto& t = map->timings;
    nlohmann::json output = {
        {"dataset", (*dataset)->description()},
        {"images", (*dataset)->size()},
        {"encoder", (*encoder)->id()},
        {"feature_dimension", features->cols()},
        {"features_reused", features_reused},
        {"out", *out_path},
        {"clusters_in_csv", !clusters.empty()},
        {"perplexity", params.perplexity},
        {"pca_dimensions", params.pca_dimensions},
        {"neighbours", map->neighbours},
        {"iterations", params.iterations},
        {"learning_rate", map->learning_rate},
        {"kl_divergence", map->kl_divergence},
        {"kl_exact", map->kl_exact},
        {"timing_ms",
         {{"encode", encode_ms}, {"pca", t.pca_ms}, {"neighbours", t.neighbours_ms}, {"affinities", t.affinities_ms},
          {"optimisation", t.optimisation_ms}, {"map", t.total_ms}, {"total", total.elapsed_ms()}}},
    };
    if (project) output["project"] = {{"path", project->folder().string()}, {"map", kTsneMapName}};
    if (as_json) {
        std::cout << json_output(output) << "\n";
    } else {
        std::printf("%s: %lld images, encoder %s (%lld dims) -> %s\n", (*dataset)->description().c_str(),
                    static_cast<long long>((*dataset)->size()), (*encoder)->id().c_str(),
                    static_cast<long long>(features->cols()), out_path->c_str());
        std::printf("t-SNE: KL %.4f, %d iterations; encode %.1f s, map %.1f s (kNN %.1f s, descent %.1f s)\n",
                    map->kl_divergence, params.iterations, encode_ms / 1000, t.total_ms / 1000, t.neighbours_ms / 1000,
                    t.optimisation_ms / 1000);
        if (project) std::printf("map stored in %s%s\n", project->folder().c_str(), clusters.empty() ? "" : "; CSV has the current clusters");
    }
    return 0;
}

}  // namespace corral::cli
