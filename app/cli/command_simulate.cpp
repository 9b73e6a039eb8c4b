// corral-cli simulate: IDC with a simulated user (DESIGN §4). Encode, take the pre-trained
// clustering (the convnet's cluster head for convnet:DIR, else k-means), fit the cluster head to
// it ("before"), then per round: mine values, build queries, answer them from ground
// truth, fine-tune ("after"). Prints per round the answers, metrics and time per stage.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "console_progress.h"
#include "corral/core/convnet.h"
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

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> items;
    std::stringstream stream(text);
    for (std::string item; std::getline(stream, item, separator);) items.push_back(item);
    return items;
}

// A list option: `text` split at `separator`, each item parsed; at least one item.
template <typename T>
Expected<std::vector<T>> parse_list(const std::string& option, const std::string& text, char separator,
                                    Expected<T> (*parse)(const std::string&)) {
    std::vector<T> values;
    for (const auto& item : split(text, separator)) {
        auto value = parse(item);
        if (!value) return make_error(ErrorCode::invalid_argument, "--" + option + ": " + value.error().message);
        values.push_back(*value);
    }
    if (values.empty()) return make_error(ErrorCode::invalid_argument, "--" + option + " needs a value");
    return values;
}

Expected<double> parse_number(const std::string& text) {
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0') return make_error(ErrorCode::invalid_argument, "'" + text + "' is not a number");
    return value;
}

Expected<int> parse_count(const std::string& text) {
    auto value = parse_number(text);
    if (!value || *value < 0 || *value != static_cast<int>(*value)) {
        return make_error(ErrorCode::invalid_argument, "'" + text + "' is not a count");
    }
    return static_cast<int>(*value);
}

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

// "H,R,D": the weights of hardness, representativeness and diversity in the value.
Expected<ValueWeights> parse_weights(const std::string& list) {
    auto values = parse_list<double>("weights", list, ',', parse_number);
    if (!values || values->size() != 3) {
        return make_error(ErrorCode::invalid_argument, "--weights is three numbers: hardness,representativeness,diversity");
    }
    ValueWeights weights;
    weights.hardness = (*values)[0];
    weights.representativeness = (*values)[1];
    weights.diversity = (*values)[2];
    return weights;
}

std::string cache_key(const std::string& text) {
    std::string key;
    for (char c : text) key += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    return key;
}


// One setting compared by a simulation: selection strategy, value weights and fine-tuning.
struct SimulationSetting {
    SelectionStrategy strategy = SelectionStrategy::hard_representative_diverse;
    ValueWeights weights;
    double learning_rate = 0.0;
    int epochs = 0;
    int pseudo_labels_per_class = 0;
    FeedbackLossSwitches losses;
};

const char* strategy_name(SelectionStrategy strategy) {
    static const char* names[] = {"hard", "hard-rep", "hard-rep-div", "random"};
    return names[static_cast<int>(strategy)];
}

std::string losses_name(const FeedbackLossSwitches& losses) {
    std::string name;
    for (const auto& [on, text] : {std::pair{losses.positive, "pos"}, {losses.negative, "neg"}, {losses.regularization, "reg"}}) {
        if (on) name += (name.empty() ? "" : ",") + std::string(text);
    }
    return name;
}

// Everything the settings of one simulation share: the data, the pre-trained head, the user.
struct SimulationShared {
    const Dataset& dataset;
    const FloatMatrix& features;
    const FeedbackTrainer& fitted;  // the head fitted to the initial clustering
    const ClusterPrediction& initial;
    const SimulatedUser& user;
    ValueMiner& miner;              // keeps representativeness (a kNN pass) across settings
    const QueryBuilder& builder;
    long long queries_total = 0;
    long long rounds = 1;
};

// The rounds of one setting, starting from a copy of the fitted head.
Expected<nlohmann::json> simulate_setting(const SimulationShared& shared, const SimulationSetting& setting,
                                          const JobContext& job) {
    FeedbackTrainer trainer = shared.fitted.copy();
    auto training = trainer.params();
    training.learning_rate = setting.learning_rate;
    training.epochs = setting.epochs;
    training.pseudo_labels_per_class = setting.pseudo_labels_per_class;
    training.losses = setting.losses;
    if (auto set = trainer.set_params(training); !set) return set.error();
    auto mining = shared.miner.params();
    mining.strategy = setting.strategy;
    mining.weights = setting.weights;
    shared.miner.set_params(mining);

    ClusterPrediction current = shared.initial;
    std::vector<Answer> answers;
    std::vector<std::int64_t> answered;
    nlohmann::json round_reports = nlohmann::json::array();
    Stopwatch stage;
    for (long long round = 0; round < shared.rounds; ++round) {
        // The budget split evenly, the first rounds taking the remainder.
        const long long count = shared.queries_total / shared.rounds + (round < shared.queries_total % shared.rounds ? 1 : 0);
        const auto before = metrics_json(shared.dataset, current.assignment);
        stage.restart();
        auto selection = shared.miner.select(shared.features, current.centres, static_cast<int>(count), answered, job);
        if (!selection) return selection.error();
        const double select_ms = stage.elapsed_ms();
        stage.restart();
        auto queries = shared.builder.build(shared.features, current.centres, current.assignment, *selection);
        if (!queries) return queries.error();
        const double query_ms = stage.elapsed_ms();
        long long positives = 0, negatives = 0, skips = 0;
        for (const auto& answer : shared.user.answer_all(*queries)) {
            positives += answer.kind == AnswerKind::positive;
            negatives += answer.kind == AnswerKind::negative;
            skips += answer.kind == AnswerKind::skip;
            answered.push_back(answer.sample);
            answers.push_back(answer);
        }
        stage.restart();
        auto tuned = trainer.fine_tune(shared.features, answers, job);
        if (!tuned) return tuned.error();
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
            {"after", metrics_json(shared.dataset, current.assignment)},
            {"final_losses", {{"positive", last.positive}, {"negative", last.negative}, {"regularization", last.regularization}}},
            {"timing_ms", {{"scoring", selection->scoring_ms}, {"selection", select_ms}, {"queries", query_ms}, {"training", train_ms}}},
        });
    }
    return nlohmann::json{
        {"strategy", strategy_name(setting.strategy)},
        {"weights", {setting.weights.hardness, setting.weights.representativeness, setting.weights.diversity}},
        {"learning_rate", setting.learning_rate},
        {"epochs", setting.epochs},
        {"pseudo_labels_per_class", setting.pseudo_labels_per_class},
        {"losses", losses_name(setting.losses)},
        {"rounds", round_reports},
    };
}

void print_report(const nlohmann::json& output) {
    std::printf("%s, encoder %s, %d clusters, T = %d\n", output["dataset"].get<std::string>().c_str(),
                output["encoder"].get<std::string>().c_str(), output["clusters"].get<int>(), output["candidates"].get<int>());
    std::printf("initial clustering (%s) ACC %.4f; head agrees with it on %.2f%%\n",
                output["initial"]["method"].get<std::string>().c_str(), output["initial"]["scores"]["acc"].get<double>(),
                100.0 * output["head_agreement_with_initial"].get<double>());
    for (const auto& run : output["runs"]) {
        std::printf("%s, weights %s, lr %g, %d epochs, losses %s:\n", run["strategy"].get<std::string>().c_str(),
                    run["weights"].dump().c_str(), run["learning_rate"].get<double>(), run["epochs"].get<int>(),
                    run["losses"].get<std::string>().c_str());
        for (const auto& report : run["rounds"]) {
            std::printf("  round %lld: %lld answers (%lld positive, %lld negative): ACC %.4f -> %.4f, NMI %.4f -> %.4f, "
                        "ARI %.4f -> %.4f; select %.1f s, train %.1f s\n",
                        report["round"].get<long long>(), report["answers"].get<long long>(),
                        report["positives"].get<long long>(), report["negatives"].get<long long>(),
                        report["before"]["acc"].get<double>(), report["after"]["acc"].get<double>(),
                        report["before"]["nmi"].get<double>(), report["after"]["nmi"].get<double>(),
                        report["before"]["ari"].get<double>(), report["after"]["ari"].get<double>(),
                        report["timing_ms"]["selection"].get<double>() / 1000,
                        report["timing_ms"]["training"].get<double>() / 1000);
        }
    }
}

}  // namespace

// Options that take lists (--strategy, --learning-rate, --epochs, --pseudo-labels-per-class
// comma-separated; --weights and --losses '/'-separated) run every combination from one encoding,
// one initial fit and one kNN pass.
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
    auto neighbors = arguments.integer_or("neighbors", ValueMinerParams{}.neighbors);
    const FeedbackTrainerParams defaults;
    auto strategies = parse_list<SelectionStrategy>("strategy", arguments.text_or("strategy", "hard-rep-div"), ',', parse_strategy);
    auto learning_rates = parse_list<double>("learning-rate", arguments.text_or("learning-rate", std::to_string(defaults.learning_rate)),
                                             ',', parse_number);
    auto epochs = parse_list<int>("epochs", arguments.text_or("epochs", std::to_string(defaults.epochs)), ',', parse_count);
    auto caps = parse_list<int>("pseudo-labels-per-class",
                                arguments.text_or("pseudo-labels-per-class", std::to_string(defaults.pseudo_labels_per_class)),
                                ',', parse_count);
    auto weights = parse_list<ValueWeights>("weights", arguments.text_or("weights", "1,1,1"), '/', parse_weights);
    auto losses = parse_list<FeedbackLossSwitches>("losses", arguments.text_or("losses", "pos,neg,reg"), '/', parse_losses);
    const std::string cache_dir = arguments.text_or("cache", "");
    const bool as_json = arguments.flag("json");
    for (const auto* parsed : {&clusters, &queries_total, &candidates, &rounds, &limit, &seed, &restarts, &neighbors}) {
        if (!*parsed) return report_failure(parsed->error());
    }
    if (!strategies) return report_failure(strategies.error());
    if (!learning_rates) return report_failure(learning_rates.error());
    if (!epochs) return report_failure(epochs.error());
    if (!caps) return report_failure(caps.error());
    if (!weights) return report_failure(weights.error());
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
    // The pre-trained clustering model: a convnet's own cluster head when the encoder has one.
    const auto convnet_folder = convnet_folder_of(encoder_spec);
    std::string initial_method = "kmeans";
    Expected<std::vector<int>> initial = std::vector<int>{};
    if (convnet_folder) {
        initial_method = "convnet-head";
        auto head = cluster_with_convnet_head(*convnet_folder, *features, progress.job());
        if (!head) return report_failure(head.error());
        if (head->probabilities.cols() != kmeans.clusters) {
            return report_failure(make_error(ErrorCode::invalid_argument,
                                             "the convnet has " + std::to_string(head->probabilities.cols()) +
                                                 " clusters; pass --clusters " + std::to_string(head->probabilities.cols())));
        }
        initial = std::move(head->assignment);
    } else {
        initial = kmeans_cached(*features, kmeans, cache_dir, key, progress.job());
    }
    if (!initial) return report_failure(initial.error());
    const double initial_ms = stage.elapsed_ms();

    stage.restart();
    FeedbackTrainerParams training;
    training.clusters = kmeans.clusters;
    training.seed = static_cast<std::uint64_t>(*seed);
    FeedbackTrainer fitted(training);
    auto fit = fitted.fit_initial(*features, *initial, progress.job());
    if (!fit) return report_failure(fit.error());
    const double fit_ms = stage.elapsed_ms();
    std::int64_t agreeing = 0;
    for (std::size_t i = 0; i < initial->size(); ++i) agreeing += initial->at(i) == fit->assignment[i];

    auto user = SimulatedUser::create((*dataset)->labels(), fit->assignment, kmeans.clusters);
    if (!user) return report_failure(user.error());
    ValueMinerParams mining;
    mining.neighbors = static_cast<int>(*neighbors);
    mining.seed = static_cast<std::uint64_t>(*seed);
    ValueMiner miner(mining);
    const QueryBuilder builder(QueryBuilderParams{static_cast<int>(*candidates), 4});
    const SimulationShared shared{**dataset, *features, fitted, *fit, *user, miner, builder, *queries_total, *rounds};

    nlohmann::json runs = nlohmann::json::array();
    for (const auto strategy : *strategies)
        for (const auto& weight : *weights)
            for (const auto learning_rate : *learning_rates)
                for (const auto epoch_count : *epochs)
                    for (const auto cap : *caps)
                        for (const auto& loss : *losses) {
                            const SimulationSetting setting{strategy, weight, learning_rate, epoch_count, cap, loss};
                            auto run = simulate_setting(shared, setting, progress.job());
                            if (!run) return report_failure(run.error());
                            runs.push_back(std::move(*run));
                        }
    progress.finish();

    nlohmann::json output = {
        {"dataset", (*dataset)->description()},
        {"images", (*dataset)->size()},
        {"encoder", (*encoder)->id()},
        {"feature_dimension", features->cols()},
        {"clusters", kmeans.clusters},
        {"candidates", *candidates},
        {"neighbors", *neighbors},
        {"initial", {{"method", initial_method}, {"scores", metrics_json(**dataset, *initial)}}},
        {"head_agreement_with_initial", static_cast<double>(agreeing) / static_cast<double>(initial->size())},
        {"runs", runs},
        {"timing_ms", {{"encode", encode_ms}, {"initial", initial_ms}, {"head_fit", fit_ms}, {"total", total.elapsed_ms()}}},
    };
    if (as_json) std::cout << output.dump(2) << "\n";
    else print_report(output);
    return 0;
}

}  // namespace corral::cli
