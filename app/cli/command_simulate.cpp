// corral-cli simulate: IDC with a simulated user (DESIGN §4), through the same engine and project
// the app uses. The project (--project P, created when new; a temporary one otherwise) holds the
// features, the clusterings and every answer the simulated user gives, stored like a person's;
// core's run_idc_rounds plans each round, asks, fine-tunes (the convnet itself for convnet:DIR)
// and adopts the new clustering. Prints per round the answers, the metrics before and after and
// the time per stage.
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>

#include "commands.h"
#include "console_progress.h"
#include "corral/core/idc_engine.h"
#include "corral/core/interactive_session.h"

namespace corral::cli {
namespace {

Expected<SelectionStrategy> parse_strategy(const std::string& name) {
    if (auto strategy = selection_strategy_from_name(name)) return *strategy;
    return make_error(ErrorCode::invalid_argument, "--strategy is hard, hard-rep, hard-rep-div or random");
}

Expected<FineTuneTarget> parse_target(const std::string& name) {
    if (name == "automatic") return FineTuneTarget::automatic;
    if (name == "network") return FineTuneTarget::network;
    if (name == "head") return FineTuneTarget::head;
    return make_error(ErrorCode::invalid_argument, "--fine-tune is automatic, network or head");
}

// "H,R,D": the weights of hardness, representativeness and diversity in the value.
Expected<ValueWeights> parse_weights(const std::string& list) {
    double values[3];
    char tail = 0;
    if (std::sscanf(list.c_str(), "%lf,%lf,%lf%c", &values[0], &values[1], &values[2], &tail) != 3 ||
        !std::isfinite(values[0]) || !std::isfinite(values[1]) || !(values[2] >= 0.0 && std::isfinite(values[2]))) {
        return make_error(ErrorCode::invalid_argument,
                          "--weights is three numbers hardness,representativeness,diversity (diversity >= 0)");
    }
    return ValueWeights{values[0], values[1], values[2]};
}

nlohmann::json scores_json(const std::optional<ClusteringScores>& scores) {
    if (!scores) return nullptr;
    return {{"nmi", scores->nmi}, {"acc", scores->acc}, {"ari", scores->ari}};
}

nlohmann::json round_json(const IdcRoundReport& report) {
    return {{"round", report.round},
            {"answers", report.answers},
            {"positives", report.positives},
            {"negatives", report.negatives},
            {"skips", report.skips},
            {"diversity_seeds", report.diversity_seeds},
            {"fine_tuned", report.target == FineTuneTarget::network ? "network" : "head"},
            {"clustering", report.change.clustering_name},
            {"images_changed", report.change.images_changed},
            {"before", scores_json(report.change.before)},
            {"after", scores_json(report.change.after)},
            {"final_loss", report.final_loss},
            {"pseudo_labelled", report.pseudo_labelled},
            {"lent_labels", report.lent_labels},
            {"timing_ms",
             {{"selection", report.selection_ms}, {"answering", report.answering_ms}, {"training", report.training_ms},
              {"adoption", report.adoption_ms}}}};
}

void print_report(const nlohmann::json& output) {
    std::printf("%s, %lld images, encoder %s, %d clusters, T = %d, strategy %s, project %s\n",
                output["dataset"].get<std::string>().c_str(), output["images"].get<long long>(),
                output["encoder"].get<std::string>().c_str(), output["clusters"].get<int>(),
                output["candidates"].get<int>(), output["strategy"].get<std::string>().c_str(),
                output["project"].get<std::string>().c_str());
    for (const auto& report : output["rounds"]) {
        const auto& before = report["before"];
        const auto& after = report["after"];
        std::printf("  round %lld: %lld answers (%lld positive, %lld negative), %s fine-tuned, %lld images changed: "
                    "ACC %.4f -> %.4f, NMI %.4f -> %.4f, ARI %.4f -> %.4f; select %.1f s, train %.1f s\n",
                    report["round"].get<long long>(), report["answers"].get<long long>(),
                    report["positives"].get<long long>(), report["negatives"].get<long long>(),
                    report["fine_tuned"].get<std::string>().c_str(), report["images_changed"].get<long long>(),
                    before["acc"].get<double>(), after["acc"].get<double>(), before["nmi"].get<double>(),
                    after["nmi"].get<double>(), before["ari"].get<double>(), after["ari"].get<double>(),
                    report["timing_ms"]["selection"].get<double>() / 1000,
                    report["timing_ms"]["training"].get<double>() / 1000);
    }
}

// A folder for a project that lives only as long as the command.
class TemporaryProjectFolder {
public:
    TemporaryProjectFolder() {
        std::random_device random;
        folder_ = std::filesystem::temp_directory_path() /
                  ("corral-simulate-" + std::to_string(random()) + "-" + std::to_string(random()) + ".corral");
    }
    ~TemporaryProjectFolder() {
        std::error_code ignored;
        std::filesystem::remove_all(folder_, ignored);
    }
    const std::filesystem::path& path() const { return folder_; }

private:
    std::filesystem::path folder_;
};

}  // namespace

int run_simulate(Arguments& arguments) {
    const auto project_path = arguments.text("project");
    SessionSettings settings;
    settings.dataset_spec = arguments.text_or("data", settings.dataset_spec);
    settings.encoder_spec = arguments.text_or("encoder", settings.encoder_spec);
    auto clusters = arguments.integer_or("clusters", 10);
    auto queries = arguments.integer_or("queries", 500);
    auto candidates = arguments.integer_or("candidates", settings.candidates);
    auto rounds = arguments.integer_or("rounds", 1);
    auto limit = arguments.integer_or("limit", 0);
    auto seed = arguments.integer_or("seed", 0);
    auto epochs = arguments.integer_or("epochs", settings.fine_tune_epochs);
    auto frozen = arguments.integer_or("frozen-blocks", 0);
    auto lent_to = arguments.integer_or("answer-neighbours", settings.answer_neighbours);
    auto learning_rate = arguments.number_or("learning-rate", 0.0);
    auto confidence = arguments.number_or("confidence", settings.confidence_threshold);
    auto strategy = parse_strategy(arguments.text_or("strategy", "hard-rep-div"));
    auto weights = parse_weights(arguments.text_or("weights", "1,1,1"));
    auto target = parse_target(arguments.text_or("fine-tune", "automatic"));
    const bool as_json = arguments.flag("json");
    for (const auto* parsed : {&clusters, &queries, &candidates, &rounds, &limit, &seed, &epochs, &frozen, &lent_to}) {
        if (!*parsed) return report_failure(parsed->error());
    }
    if (!learning_rate) return report_failure(learning_rate.error());
    if (!confidence) return report_failure(confidence.error());
    if (!strategy) return report_failure(strategy.error());
    if (!weights) return report_failure(weights.error());
    if (!target) return report_failure(target.error());
    if (*rounds < 1 || *queries < *rounds || *candidates < 1 || *clusters < 2 || *limit < 0 || *seed < 0 ||
        *epochs < 1 || *frozen < 0 || *lent_to < 0 || !(*learning_rate >= 0.0 && *learning_rate <= 1.0) ||
        !(*confidence > 0.0 && *confidence < 1.0)) {
        return report_failure(make_error(ErrorCode::invalid_argument,
                                         "--rounds, --candidates and --epochs must be positive, --queries at least "
                                         "--rounds, --clusters at least 2, --limit, --seed, --frozen-blocks and "
                                         "--answer-neighbours not negative, --learning-rate in [0, 1], --confidence in (0, 1)"));
    }
    if (auto used = arguments.check_all_used(); !used) return report_failure(used.error());
    settings.clusters = static_cast<int>(*clusters);
    settings.candidates = static_cast<int>(*candidates);
    settings.limit = *limit;
    settings.seed = static_cast<std::uint64_t>(*seed);
    settings.fine_tune_epochs = static_cast<int>(*epochs);
    settings.frozen_leading_blocks = static_cast<int>(*frozen);
    settings.answer_neighbours = static_cast<int>(*lent_to);
    settings.learning_rate = *learning_rate;
    settings.confidence_threshold = *confidence;
    settings.strategy = *strategy;
    settings.weights = *weights;
    settings.fine_tune_target = *target;
    settings.round_size = static_cast<int>(*queries / *rounds);

    ConsoleProgress progress(!as_json);
    Stopwatch total;
    std::optional<TemporaryProjectFolder> temporary;
    std::filesystem::path folder;
    if (project_path) {
        folder = *project_path;
    } else {
        temporary.emplace();
        folder = temporary->path();
    }
    std::error_code exists_error;
    const bool reopening = std::filesystem::exists(folder / "project.sqlite", exists_error);
    auto session = reopening ? InteractiveSession::open(folder, progress.job())
                             : InteractiveSession::create(folder, settings, progress.job());
    if (!session) return report_failure(session.error());
    const double prepare_ms = total.elapsed_ms();
    auto user = SimulatedAnswerSource::create(**session);
    if (!user) return report_failure(user.error());
    IdcRunParams run;
    run.queries = static_cast<int>(*queries);
    run.rounds = static_cast<int>(*rounds);
    auto reports = run_idc_rounds(**session, *user, run, progress.job());
    progress.finish();
    if (!reports) return report_failure(reports.error());

    const auto& used_settings = (*session)->settings();
    nlohmann::json rounds_json = nlohmann::json::array();
    for (const auto& report : *reports) rounds_json.push_back(round_json(report));
    const nlohmann::json output = {
        {"dataset", (*session)->dataset()->description()},
        {"images", (*session)->dataset()->size()},
        {"encoder", used_settings.encoder_spec},
        {"clusters", (*session)->clustering().cluster_count},
        {"candidates", used_settings.candidates},
        {"strategy", std::string(selection_strategy_name(used_settings.strategy))},
        {"seed", used_settings.seed},
        {"project", project_path ? folder.string() : std::string("(temporary)")},
        {"reopened", reopening},
        {"rounds", rounds_json},
        {"timing_ms", {{"prepare", prepare_ms}, {"total", total.elapsed_ms()}}},
    };
    if (as_json) std::cout << output.dump(2) << "\n";
    else print_report(output);
    return 0;
}

}  // namespace corral::cli
