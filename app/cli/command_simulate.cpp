// corral-cli simulate: IDC with a simulated user (DESIGN §4). Encode, k-means, fit the cluster
// head to it ("before"), then per round: mine values, build queries, answer them from ground
// truth, fine-tune ("after"). Prints per round the answers, metrics and time per stage.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "console_progress.h"
#include "corral/core/dataset.h"
#include "corral/core/encoder.h"
#include "corral/core/feedback_training.h"
#include "corral/core/kmeans.h"
#include "corral/core/metrics.h"
#include "corral/core/queries.h"
#include "corral/core/simulated_user.h"
#include "corral/core/value_mining.h"

namespace corral::cli {
namespace {

Expected<SelectionStrategy> parse_strategy(const std::string& name) {
    if (name == "hard") return SelectionStrategy::hard;
    if (name == "hard-rep") return SelectionStrategy::hard_representative;
    if (name == "hard-rep-div") return SelectionStrategy::hard_representative_diverse;
    if (name == "random") return SelectionStrategy::random;
    return make_error(ErrorCode::invalid_argument, "--strategy is hard, hard-rep, hard-rep-div or random");
}

Expected<FeedbackLossSwitches> parse_losses(const std::string& list) {
    FeedbackLossSwitches losses{false, false, false};
    std::stringstream stream(list);
    for (std::string name; std::getline(stream, name, ',');) {
        if (name == "pos") losses.positive = true;
        else if (name == "neg") losses.negative = true;
        else if (name == "reg") losses.regularization = true;
        else return make_error(ErrorCode::invalid_argument, "--losses is a comma list of pos, neg, reg");
    }
    return losses;
}

nlohmann::json metrics_json(const Dataset& dataset, const std::vector<int>& assignment) {
    const auto scores = score_clustering(dataset.labels(), assignment);
    return {{"nmi", scores.nmi}, {"acc", scores.acc}, {"ari", scores.ari}};
}

// Encoded features, read from or written to `cache_dir` when one is given (keyed by dataset,
// size and encoder id), so repeated simulations on the same data skip the encoder.
Expected<FloatMatrix> encode_cached(const Dataset& dataset, ImageEncoder& encoder, const std::string& cache_dir,
                                    const std::string& key, const JobContext& job) {
    std::filesystem::path file;
    if (!cache_dir.empty()) {
        file = std::filesystem::path(cache_dir) / (key + ".f32");
        std::ifstream in(file, std::ios::binary);
        std::int64_t rows = 0, cols = 0;
        if (in.read(reinterpret_cast<char*>(&rows), sizeof rows) && in.read(reinterpret_cast<char*>(&cols), sizeof cols) &&
            rows == dataset.size()) {
            FloatMatrix features(rows, cols);
            if (in.read(reinterpret_cast<char*>(features.data()), static_cast<std::streamsize>(rows * cols * sizeof(float)))) {
                return features;
            }
        }
    }
    auto features = encoder.encode(dataset, job);
    if (!features || file.empty()) return features;
    std::filesystem::create_directories(file.parent_path());
    const auto temporary = file.string() + ".partial";
    {
        std::ofstream out(temporary, std::ios::binary);
        const std::int64_t rows = features->rows(), cols = features->cols();
        out.write(reinterpret_cast<const char*>(&rows), sizeof rows);
        out.write(reinterpret_cast<const char*>(&cols), sizeof cols);
        out.write(reinterpret_cast<const char*>(features->data()), static_cast<std::streamsize>(rows * cols * sizeof(float)));
    }
    std::filesystem::rename(temporary, file);
    return features;
}

// The initial k-means clustering, read from or written to the cache like the features.
Expected<std::vector<int>> kmeans_cached(const FloatMatrix& features, const KMeansParams& params,
                                         const std::string& cache_dir, const std::string& key, const JobContext& job) {
    std::filesystem::path file;
    if (!cache_dir.empty()) {
        file = std::filesystem::path(cache_dir) / (key + "-kmeans" + std::to_string(params.clusters) + "-seed" +
                                                   std::to_string(params.seed) + "-restarts" +
                                                   std::to_string(params.restarts) + ".i32");
        std::ifstream in(file, std::ios::binary);
        std::vector<int> labels(static_cast<std::size_t>(features.rows()));
        if (in.read(reinterpret_cast<char*>(labels.data()), static_cast<std::streamsize>(labels.size() * sizeof(int)))) {
            return labels;
        }
    }
    auto result = run_kmeans(features, params, job);
    if (!result) return result.error();
    if (!file.empty()) {
        const auto temporary = file.string() + ".partial";
        {
            std::ofstream out(temporary, std::ios::binary);
            out.write(reinterpret_cast<const char*>(result->assignment.data()),
                      static_cast<std::streamsize>(result->assignment.size() * sizeof(int)));
        }
        std::filesystem::rename(temporary, file);
    }
    return std::move(result->assignment);
}

std::string cache_key(const std::string& text) {
    std::string key;
    for (char c : text) key += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    return key;
}

}  // namespace

int run_simulate(Arguments& arguments) {
    const std::string data_spec = arguments.text_or("data", "fashion-mnist");
    const std::string encoder_spec = arguments.text_or("encoder", "pixels");
    auto clusters = arguments.integer_or("clusters", 10);
    auto queries_total = arguments.integer_or("queries", 500);
    auto candidates = arguments.integer_or("candidates", 5);
    auto rounds = arguments.integer_or("rounds", 1);
    auto limit = arguments.integer_or("limit", 0);
    auto seed = arguments.integer_or("seed", 0);
    auto restarts = arguments.integer_or("restarts", 3);
    auto epochs = arguments.integer_or("epochs", FeedbackTrainerParams{}.epochs);
    auto learning_rate = arguments.number_or("learning-rate", FeedbackTrainerParams{}.learning_rate);
    auto strategy = parse_strategy(arguments.text_or("strategy", "hard-rep-div"));
    auto losses = parse_losses(arguments.text_or("losses", "pos,neg,reg"));
    const std::string cache_dir = arguments.text_or("cache", "");
    const bool as_json = arguments.flag("json");
    for (const auto* parsed : {&clusters, &queries_total, &candidates, &rounds, &limit, &seed, &restarts, &epochs}) {
        if (!*parsed) return report_failure(parsed->error());
    }
    if (!learning_rate) return report_failure(learning_rate.error());
    if (!strategy) return report_failure(strategy.error());
    if (!losses) return report_failure(losses.error());
    if (*rounds < 1 || *queries_total < 0 || *candidates < 1) {
        return report_failure(make_error(ErrorCode::invalid_argument, "--rounds and --candidates must be positive"));
    }
    if (auto used = arguments.check_all_used(); !used) return report_failure(used.error());

    ConsoleProgress progress(!as_json);
    Stopwatch total;
    DatasetOptions options;
    options.limit = *limit;
    auto dataset = open_dataset(data_spec, options, progress.job());
    if (!dataset) return report_failure(dataset.error());
    if (!(*dataset)->has_ground_truth()) {
        return report_failure(make_error(ErrorCode::invalid_argument, "simulate needs a dataset with ground truth"));
    }
    auto encoder = create_image_encoder(encoder_spec);
    if (!encoder) return report_failure(encoder.error());

    Stopwatch stage;
    const std::string key = cache_key(data_spec + "-" + std::to_string((*dataset)->size()) + "-" + (*encoder)->id());
    auto features = encode_cached(**dataset, **encoder, cache_dir, key, progress.job());
    if (!features) return report_failure(features.error());
    const double encode_ms = stage.elapsed_ms();

    stage.restart();
    KMeansParams kmeans;
    kmeans.clusters = static_cast<int>(*clusters);
    kmeans.restarts = static_cast<int>(*restarts);
    kmeans.seed = static_cast<std::uint64_t>(*seed);
    kmeans.metric = DistanceMetric::cosine;  // IDC compares L2-normalised features by cosine
    auto initial = kmeans_cached(*features, kmeans, cache_dir, key, progress.job());
    if (!initial) return report_failure(initial.error());
    const double kmeans_ms = stage.elapsed_ms();

    stage.restart();
    FeedbackTrainerParams training;
    training.clusters = kmeans.clusters;
    training.epochs = static_cast<int>(*epochs);
    training.learning_rate = *learning_rate;
    training.losses = *losses;
    training.seed = static_cast<std::uint64_t>(*seed);
    FeedbackTrainer trainer(training);
    auto current = trainer.fit_initial(*features, *initial, progress.job());
    if (!current) return report_failure(current.error());
    const double fit_ms = stage.elapsed_ms();
    std::int64_t agreeing = 0;
    for (std::size_t i = 0; i < initial->size(); ++i) agreeing += initial->at(i) == current->assignment[i];

    auto user = SimulatedUser::create((*dataset)->labels(), current->assignment, kmeans.clusters);
    if (!user) return report_failure(user.error());
    ValueMinerParams mining;
    mining.strategy = *strategy;
    mining.seed = static_cast<std::uint64_t>(*seed);
    ValueMiner miner(mining);
    const QueryBuilder builder(QueryBuilderParams{static_cast<int>(*candidates), 4});

    std::vector<Answer> answers;
    std::vector<std::int64_t> answered;
    nlohmann::json round_reports = nlohmann::json::array();
    for (long long round = 0; round < *rounds; ++round) {
        // The budget split evenly, the first rounds taking the remainder.
        const long long count = *queries_total / *rounds + (round < *queries_total % *rounds ? 1 : 0);
        const auto before = metrics_json(**dataset, current->assignment);
        stage.restart();
        auto selection = miner.select(*features, current->centres, static_cast<int>(count), answered, progress.job());
        if (!selection) return report_failure(selection.error());
        const double select_ms = stage.elapsed_ms();
        stage.restart();
        auto queries = builder.build(*features, current->centres, current->assignment, *selection);
        if (!queries) return report_failure(queries.error());
        const double query_ms = stage.elapsed_ms();
        long long positives = 0, negatives = 0, skips = 0;
        for (const auto& answer : user->answer_all(*queries)) {
            positives += answer.kind == AnswerKind::positive;
            negatives += answer.kind == AnswerKind::negative;
            skips += answer.kind == AnswerKind::skip;
            answered.push_back(answer.sample);
            answers.push_back(answer);
        }
        stage.restart();
        auto tuned = trainer.fine_tune(*features, answers, progress.job());
        if (!tuned) return report_failure(tuned.error());
        const double train_ms = stage.elapsed_ms();
        current = std::move(tuned->prediction);
        const auto& last = tuned->epochs.empty() ? EpochLosses{} : tuned->epochs.back();
        round_reports.push_back({
            {"round", round + 1},
            {"answers", positives + negatives + skips},
            {"positives", positives},
            {"negatives", negatives},
            {"skips", skips},
            {"before", before},
            {"after", metrics_json(**dataset, current->assignment)},
            {"final_losses", {{"positive", last.positive}, {"negative", last.negative}, {"regularization", last.regularization}}},
            {"timing_ms", {{"scoring", selection->scoring_ms}, {"selection", select_ms}, {"queries", query_ms}, {"training", train_ms}}},
        });
    }
    progress.finish();

    static const char* strategy_names[] = {"hard", "hard-rep", "hard-rep-div", "random"};
    nlohmann::json output = {
        {"dataset", (*dataset)->description()},
        {"images", (*dataset)->size()},
        {"encoder", (*encoder)->id()},
        {"feature_dimension", features->cols()},
        {"clusters", kmeans.clusters},
        {"strategy", strategy_names[static_cast<int>(*strategy)]},
        {"candidates", *candidates},
        {"kmeans", metrics_json(**dataset, *initial)},
        {"head_agreement_with_kmeans", static_cast<double>(agreeing) / static_cast<double>(initial->size())},
        {"rounds", round_reports},
        {"timing_ms", {{"encode", encode_ms}, {"kmeans", kmeans_ms}, {"head_fit", fit_ms}, {"total", total.elapsed_ms()}}},
    };
    if (as_json) {
        std::cout << output.dump(2) << "\n";
        return 0;
    }
    std::printf("%s, encoder %s, %d clusters, strategy %s, T = %lld\n", (*dataset)->description().c_str(),
                (*encoder)->id().c_str(), kmeans.clusters, output["strategy"].get<std::string>().c_str(), *candidates);
    std::printf("k-means ACC %.4f; head agrees with k-means on %.2f%%\n", output["kmeans"]["acc"].get<double>(),
                100.0 * output["head_agreement_with_kmeans"].get<double>());
    for (const auto& report : round_reports) {
        std::printf("round %lld: %lld answers (%lld positive, %lld negative): ACC %.4f -> %.4f, NMI %.4f -> %.4f, "
                    "ARI %.4f -> %.4f; select %.1f s, train %.1f s\n",
                    report["round"].get<long long>(), report["answers"].get<long long>(),
                    report["positives"].get<long long>(), report["negatives"].get<long long>(),
                    report["before"]["acc"].get<double>(), report["after"]["acc"].get<double>(),
                    report["before"]["nmi"].get<double>(), report["after"]["nmi"].get<double>(),
                    report["before"]["ari"].get<double>(), report["after"]["ari"].get<double>(),
                    report["timing_ms"]["selection"].get<double>() / 1000, report["timing_ms"]["training"].get<double>() / 1000);
    }
    return 0;
}

}  // namespace corral::cli
