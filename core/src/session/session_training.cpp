// Fine-tuning of an InteractiveSession: train() works on a copy of the model (pure, any thread),
// adopt_training() stores what it made (owner thread).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "corral/core/answer_propagation.h"
#include "corral/core/convnet_fine_tuning.h"
#include "corral/core/encoder.h"
#include "corral/core/interactive_session.h"
#include "guard.h"
#include "session/session_state.h"

namespace corral {
namespace {

// An answer's clusters are those of the clustering it was given under. For another clustering
// each old cluster maps to the new cluster holding most of its images, when that holds at least
// half of them; otherwise the old cluster has no clear counterpart (-1).
std::vector<int> cluster_counterparts(const std::vector<int>& from, const std::vector<int>& to, int from_clusters,
                                      int to_clusters) {
    std::vector<std::vector<std::int64_t>> overlap(static_cast<std::size_t>(from_clusters),
                                                   std::vector<std::int64_t>(static_cast<std::size_t>(to_clusters), 0));
    std::vector<std::int64_t> sizes(static_cast<std::size_t>(from_clusters), 0);
    for (std::size_t i = 0; i < from.size() && i < to.size(); ++i) {
        if (from[i] < 0 || from[i] >= from_clusters || to[i] < 0 || to[i] >= to_clusters) continue;
        ++overlap[static_cast<std::size_t>(from[i])][static_cast<std::size_t>(to[i])];
        ++sizes[static_cast<std::size_t>(from[i])];
    }
    std::vector<int> counterpart(static_cast<std::size_t>(from_clusters), -1);
    for (int a = 0; a < from_clusters; ++a) {
        const auto& row = overlap[static_cast<std::size_t>(a)];
        const auto best = std::max_element(row.begin(), row.end());
        if (sizes[static_cast<std::size_t>(a)] > 0 && 2 * *best >= sizes[static_cast<std::size_t>(a)]) {
            counterpart[static_cast<std::size_t>(a)] = static_cast<int>(best - row.begin());
        }
    }
    return counterpart;
}

// A fine-tune keeps cluster identities (the head's output k is cluster k before and after), so
// clusterings derived from one another by fine-tunes share one numbering: the first clustering of
// that chain that was not fine-tuned. Mapping an answer by overlap between two of them would drop
// answers exactly when the answers moved many images.
Expected<std::int64_t> numbering_root(const Project& project, const ClusteringRecord& record) {
    std::set<std::int64_t> seen{record.id};
    std::int64_t root = record.id;
    std::string method = record.method;
    std::string parameters_json = record.parameters_json;
    while (method == "idc") {
        const auto parameters = nlohmann::json::parse(parameters_json, nullptr, false);
        if (!parameters.is_object() || !parameters.contains("from_clustering") ||
            !parameters["from_clustering"].is_number_integer()) {
            break;
        }
        const auto parent = parameters["from_clustering"].get<std::int64_t>();
        if (!seen.insert(parent).second) break;
        auto found = project.clustering(parent);
        if (!found) {
            if (found.error().code == ErrorCode::not_found) break;
            return found.error();
        }
        root = parent;
        method = found->method;
        parameters_json = found->parameters_json;
    }
    return root;
}

struct MappedAnswers {
    std::vector<Answer> answers;
    std::int64_t mapped = 0;
    std::int64_t left_out = 0;
};

// The active answers in the form the trainers take, in the clusters of `target`. The newest
// answer about a sample wins (a correction replaces what was said before). A manual move is a
// positive answer; a negative rejects every candidate that was shown.
Expected<MappedAnswers> training_answers(const Project& project, const ClusteringRecord& target) {
    auto records = project.answers();
    if (!records) return records.error();
    std::map<std::int64_t, const AnswerRecord*> newest;
    for (const auto& record : *records) {
        if (record.kind == AnswerKind::skip) continue;
        newest[record.sample] = &record;  // answers come oldest first
    }
    auto target_root = numbering_root(project, target);
    if (!target_root) return target_root.error();
    std::map<std::int64_t, bool> shares_numbering;  // per source clustering
    const auto same_numbering = [&](const AnswerRecord& record) -> Expected<bool> {
        if (!record.clustering_id || *record.clustering_id == target.id) return true;
        auto found = shares_numbering.find(*record.clustering_id);
        if (found != shares_numbering.end()) return found->second;
        bool same = false;
        if (auto source = project.clustering(*record.clustering_id)) {
            auto root = numbering_root(project, *source);
            if (!root) return root.error();
            same = *root == *target_root && source->cluster_count == target.cluster_count;
        } else if (source.error().code != ErrorCode::not_found) {
            return source.error();
        }
        shares_numbering.emplace(*record.clustering_id, same);
        return same;
    };
    std::map<std::int64_t, std::vector<int>> counterparts;  // per source clustering
    const auto map_cluster = [&](const AnswerRecord& record, int cluster) -> Expected<int> {
        auto same = same_numbering(record);
        if (!same) return same.error();
        if (*same) return cluster >= 0 && cluster < target.cluster_count ? cluster : -1;
        auto found = counterparts.find(*record.clustering_id);
        if (found == counterparts.end()) {
            auto source = project.clustering(*record.clustering_id);
            std::vector<int> mapping;
            if (source) {
                mapping = cluster_counterparts(source->assignment, target.assignment, source->cluster_count,
                                               target.cluster_count);
            } else if (source.error().code != ErrorCode::not_found) {
                return source.error();
            }
            found = counterparts.emplace(*record.clustering_id, std::move(mapping)).first;
        }
        const auto& mapping = found->second;
        return cluster >= 0 && static_cast<std::size_t>(cluster) < mapping.size() ? mapping[static_cast<std::size_t>(cluster)]
                                                                                   : -1;
    };
    MappedAnswers result;
    for (const auto& [sample, record] : newest) {
        auto same = same_numbering(*record);
        if (!same) return same.error();
        const bool foreign = !*same;
        if (record->kind == AnswerKind::negative) {
            Answer negative{sample, AnswerKind::negative, -1, {}};
            for (const int shown : record->shown_candidates) {
                auto mapped = map_cluster(*record, shown);
                if (!mapped) return mapped.error();
                if (*mapped >= 0) negative.rejected.push_back(*mapped);
            }
            if (negative.rejected.empty()) {
                ++result.left_out;
                continue;
            }
            result.mapped += foreign;
            result.answers.push_back(std::move(negative));
            continue;
        }
        auto mapped = map_cluster(*record, record->chosen_cluster);
        if (!mapped) return mapped.error();
        if (*mapped < 0) {
            ++result.left_out;
            continue;
        }
        result.mapped += foreign;
        result.answers.push_back(Answer::positive(sample, *mapped));
    }
    return result;
}

// On a small collection the configured count would let a few answers label most images (the
// claims of different answers then overlap and cancel): at most half of the unanswered images are
// claimed, counting every positive answer's neighbours apart.
int lent_neighbour_count(const SessionSettings& settings, const std::vector<Answer>& answers, std::int64_t images) {
    std::int64_t positives = 0;
    for (const auto& answer : answers) positives += answer.kind == AnswerKind::positive;
    if (positives == 0) return 0;
    const auto unanswered = images - static_cast<std::int64_t>(answers.size());
    return static_cast<int>(std::clamp<std::int64_t>(unanswered / (2 * positives), 0, settings.answer_neighbours));
}

std::string unique_model_folder(std::int64_t from_clustering_id) {
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    return std::string(kTunedModelsFolder) + "/tuned-from-" + std::to_string(from_clustering_id) + "-" +
           std::to_string(now_ms);
}

Status train_network(const InteractiveSession::State& state, const ActiveClustering& active,
                     const std::vector<Answer>& answers, std::vector<LentLabel> lent, TrainingOutcome& outcome,
                     TrainedModel& model, const JobContext& job) {
    ConvnetFineTuneParams params;
    params.epochs = state.settings.fine_tune_epochs;
    if (state.settings.learning_rate > 0.0) params.learning_rate = state.settings.learning_rate;
    params.frozen_leading_blocks = state.settings.frozen_leading_blocks;
    params.seed = state.settings.seed;
    params.confidence_threshold = state.settings.confidence_threshold;
    params.lent_labels = std::move(lent);
    model.model_folder_in_project = unique_model_folder(active.record.id);
    model.model_folder = state.project->folder() / model.model_folder_in_project;
    auto tuned = fine_tune_convnet(*active.model_folder, *state.dataset, answers, model.model_folder, params,
                                   job.stage(0.0, 0.97));
    if (!tuned) return tuned.error();
    auto encoder = create_image_encoder("convnet:" + model.model_folder.string());
    if (!encoder) return encoder.error();
    model.encoder_id = (*encoder)->id();
    // Stored under the new encoder's id, which nothing refers to until adoption.
    if (auto stored = state.project->store_embeddings(model.encoder_id, tuned->prediction.features); !stored) {
        return stored.error();
    }
    FloatMatrix features = std::move(tuned->prediction.features);
    normalize_rows(features);
    model.features = std::make_shared<const FloatMatrix>(std::move(features));
    outcome.assignment = std::move(tuned->prediction.assignment);
    outcome.positives = tuned->positives;
    outcome.negatives = tuned->negatives;
    outcome.pseudo_labelled = tuned->pseudo_labelled;
    outcome.final_loss = tuned->epochs.empty() ? 0.0 : tuned->epochs.back().total;
    return ok();
}

Status train_head(const InteractiveSession::State& state, const ActiveClustering& active,
                  const std::vector<Answer>& answers, const std::vector<LentLabel>& lent, TrainingOutcome& outcome,
                  TrainedModel& model, const JobContext& job) {
    const auto params = session_detail::trainer_params(state.settings, active.record.cluster_count);
    FeedbackTrainer trainer(params);
    if (active.head) {
        trainer = active.head->copy();
    } else {
        // Prepared for network fine-tuning: the head has to be fitted to the clustering first.
        auto fit = trainer.fit_initial(*active.features, active.record.assignment, job.stage(0.0, 0.2));
        if (!fit) return fit.error();
    }
    auto result = trainer.fine_tune(*active.features, answers, lent, job.stage(active.head ? 0.0 : 0.2, 1.0));
    if (!result) return result.error();
    outcome.assignment = std::move(result->prediction.assignment);
    outcome.positives = result->positives;
    outcome.negatives = result->negatives;
    outcome.pseudo_labelled = result->pseudo_labelled;
    outcome.final_loss = result->epochs.empty() ? 0.0 : result->epochs.back().total;
    model.head = std::move(trainer);
    return ok();
}

}  // namespace

TrainedModel::~TrainedModel() {
    if (adopted || model_folder.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(model_folder, ignored);
}

Expected<TrainingOutcome> InteractiveSession::train(const JobContext& job) const {
    return detail::guarded("fine-tuning", [&]() -> Expected<TrainingOutcome> {
        const auto active = state_->snapshot();
        auto mapped = training_answers(*state_->project, active->record);
        if (!mapped) return mapped.error();
        if (mapped->answers.empty()) {
            return make_error(ErrorCode::invalid_argument,
                              mapped->left_out > 0 ? "the answers were given under other clusterings whose clusters have no "
                                                     "clear counterpart in this one"
                                                   : "there are no answers to learn from yet");
        }
        Stopwatch clock;
        TrainingOutcome outcome;
        outcome.from_clustering_id = active->record.id;
        outcome.target = session_detail::resolve_target(state_->settings, *active);
        outcome.answers_used = static_cast<std::int64_t>(mapped->answers.size());
        outcome.answers_mapped = mapped->mapped;
        outcome.answers_left_out = mapped->left_out;
        outcome.lent_neighbours = lent_neighbour_count(state_->settings, mapped->answers, state_->dataset->size());
        auto lent = propagate_answers(*active->features, mapped->answers, outcome.lent_neighbours);
        if (!lent) return lent.error();
        outcome.lent_labels = static_cast<std::int64_t>(lent->size());
        outcome.model = std::make_shared<TrainedModel>();
        const auto trained =
            outcome.target == FineTuneTarget::network
                ? train_network(*state_, *active, mapped->answers, std::move(*lent), outcome, *outcome.model, job)
                : train_head(*state_, *active, mapped->answers, *lent, outcome, *outcome.model, job);
        if (!trained) return trained.error();
        outcome.elapsed_ms = clock.elapsed_ms();
        job.report(1.0, "fine-tuned");
        return outcome;
    });
}

namespace {

// A name no stored clustering has: saving under a name in use replaces that clustering, and a
// user's own "round 2" must survive.
std::string fresh_round_name(const Project& project) {
    std::int64_t fine_tuned = 1;
    std::set<std::string> names;
    if (auto all = project.clusterings()) {
        for (const auto& existing : *all) {
            fine_tuned += existing.method == "idc";
            names.insert(existing.name);
        }
    }
    std::string name = "round " + std::to_string(fine_tuned);
    for (int copy = 2; names.count(name); ++copy) name = "round " + std::to_string(fine_tuned) + " (" + std::to_string(copy) + ")";
    return name;
}


constexpr double kWorseMargin = 0.005;

}  // namespace

Expected<ClusteringChange> InteractiveSession::adopt_training(const TrainingOutcome& outcome) {
    return detail::guarded("adopting the fine-tuned clustering", [&]() -> Expected<ClusteringChange> {
        const auto previous = state_->snapshot();
        if (outcome.from_clustering_id != previous->record.id) {
            return make_error(ErrorCode::invalid_argument, "the training started from an earlier clustering");
        }
        if (!outcome.model) return make_error(ErrorCode::invalid_argument, "the training outcome holds no model");
        const TrainedModel& model = *outcome.model;
        const bool network = outcome.target == FineTuneTarget::network;
        nlohmann::json parameters = {{"from_clustering", outcome.from_clustering_id},
                                     {"answers", outcome.answers_used},
                                     {"answers_mapped", outcome.answers_mapped},
                                     {"answers_left_out", outcome.answers_left_out},
                                     {"positives", outcome.positives},
                                     {"negatives", outcome.negatives},
                                     {"pseudo_labelled", outcome.pseudo_labelled},
                                     {"lent_labels", outcome.lent_labels},
                                     {"answer_neighbours", outcome.lent_neighbours},
                                     {"epochs", state_->settings.fine_tune_epochs},
                                     {"target", network ? "network" : "head"}};
        if (network) parameters["model"] = model.model_folder_in_project;
        auto run = state_->project->begin_run(outcome.from_clustering_id, parameters.dump());
        if (!run) return run.error();
        if (network) {
            auto recorded = session_detail::record_model_folder(*state_->project, model.encoder_id,
                                                                model.model_folder_in_project);
            if (!recorded) return recorded.error();
            model.adopted = true;
        } else {
            // The fine-tuned head goes with the run: a reopened project learns on from it, not from a refit.
            auto head = model.head->save_head();
            if (!head) return head.error();
            if (auto stored = state_->project->store_checkpoint(*run, state_->settings.fine_tune_epochs,
                                                                "idc-head-run" + std::to_string(*run) + ".pt", *head);
                !stored) {
                return stored.error();
            }
        }
        ClusteringRecord record;
        record.name = fresh_round_name(*state_->project);
        record.method = "idc";
        record.parameters_json = parameters.dump();
        record.encoder_id = network ? model.encoder_id : previous->encoder_id;
        record.cluster_count = previous->record.cluster_count;
        record.assignment = outcome.assignment;
        record.cluster_names = previous->record.cluster_names;  // the head keeps cluster identities
        auto id = state_->project->save_clustering(record);
        if (!id) return id.error();
        record.id = *id;
        if (auto current = state_->project->set_current_clustering(*id); !current) return current.error();

        ClusteringChange change;
        change.previous_clustering_id = previous->record.id;
        change.clustering_id = *id;
        change.clustering_name = record.name;
        change.images = static_cast<std::int64_t>(record.assignment.size());
        for (std::size_t i = 0; i < record.assignment.size() && i < previous->record.assignment.size(); ++i) {
            change.images_changed += record.assignment[i] != previous->record.assignment[i];
        }
        if (state_->round) {
            change.round_was_open = true;
            change.round_questions = static_cast<std::int64_t>(state_->round->samples.size());
            change.round_answered = state_->round->position;
            if (auto closed = state_->project->close_round(state_->round->id); !closed) return closed.error();
            state_->round.reset();
        }

        auto next = std::make_shared<ActiveClustering>();
        next->features = network ? model.features : previous->features;
        next->encoder_id = record.encoder_id;
        next->model_folder = network ? std::optional<std::filesystem::path>(model.model_folder) : previous->model_folder;
        session_detail::centres_and_exemplars(*next->features, record.assignment, record.cluster_count, next->centres,
                                              next->exemplars);
        if (!network) next->head = std::make_shared<const FeedbackTrainer>(model.head->copy());
        next->record = std::move(record);
        state_->publish(std::move(next));

        nlohmann::json metrics = {{"final_loss", outcome.final_loss}, {"elapsed_ms", outcome.elapsed_ms},
                                  {"images_changed", change.images_changed}};
        if (state_->dataset->has_ground_truth()) {
            change.before = state_->scores_by_clustering[change.previous_clustering_id];
            change.after = state_->scores_by_clustering[*id];
            change.got_worse = change.after->acc < change.before->acc - kWorseMargin ||
                               change.after->nmi < change.before->nmi - kWorseMargin;
            metrics["nmi"] = change.after->nmi;
            metrics["acc"] = change.after->acc;
            metrics["ari"] = change.after->ari;
        }
        if (auto finished = state_->project->finish_run(*run, RunStatus::finished, metrics.dump(), *id); !finished) {
            return finished.error();
        }
        return change;
    });
}

}  // namespace corral

namespace corral::session_detail {

Status record_model_folder(Project& project, const std::string& encoder_id, const std::string& folder) {
    auto stored = project.setting(kTunedModelsSetting);
    if (!stored) return stored.error();
    nlohmann::json models = nlohmann::json::object();
    if (*stored) {
        auto parsed = nlohmann::json::parse(**stored, nullptr, false);
        if (parsed.is_object()) models = std::move(parsed);
    }
    models[encoder_id] = folder;
    return project.set_setting(kTunedModelsSetting, models.dump());
}

}  // namespace corral::session_detail
