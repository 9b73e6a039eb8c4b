#include "session_controller.h"

#include <QDateTime>

#include "job_runner.h"

namespace corral::ui {
namespace {

QString describe(const Error& error) { return QString::fromStdString(error.message); }

corral::AnswerKind to_core(QueryAnswerKind kind) {
    switch (kind) {
        case QueryAnswerKind::positive: return corral::AnswerKind::positive;
        case QueryAnswerKind::negative: return corral::AnswerKind::negative;
        case QueryAnswerKind::skip: break;
    }
    return corral::AnswerKind::skip;
}

}  // namespace

SessionController::SessionController(JobRunner* runner, QObject* parent) : QObject(parent), runner_(runner) {}

SessionController::~SessionController() {
    runner_->cancel_all();
    runner_->wait_for_all();
}

std::shared_ptr<const Dataset> SessionController::dataset() const {
    return session_ ? session_->dataset() : nullptr;
}

bool SessionController::refuse_while_busy(const QString& what) {
    if (!busy()) return false;
    Q_EMIT status_message(tr("Please wait for the running job to finish (or cancel it) to %1.").arg(what));
    return true;
}

void SessionController::open_with(const QString& title, const QString& folder,
                                  std::function<Expected<std::unique_ptr<InteractiveSession>>(const JobContext&)> make) {
    active_job_ = runner_->run<std::shared_ptr<InteractiveSession>>(
        title,
        [make = std::move(make)](const JobContext& job) -> Expected<std::shared_ptr<InteractiveSession>> {
            auto session = make(job);
            if (!session) return session.error();
            return std::shared_ptr<InteractiveSession>(std::move(*session));
        },
        this, [this, folder, title](Expected<std::shared_ptr<InteractiveSession>> result) {
            active_job_ = 0;
            if (result) {
                adopt_session(std::move(*result), folder);
            } else if (result.error().code == ErrorCode::cancelled) {
                Q_EMIT status_message(tr("%1: cancelled.").arg(title));
            } else {
                Q_EMIT error_occurred(title, describe(result.error()));
            }
        });
}

void SessionController::create_project(const QString& folder, const SessionSettings& settings) {
    if (refuse_while_busy(tr("create a project"))) return;
    close_project();
    // The images show at once: they are listed without decoding while the project is built.
    runner_->run<std::shared_ptr<const Dataset>>(
        tr("Listing images"),
        [settings](const JobContext& job) -> Expected<std::shared_ptr<const Dataset>> {
            DatasetOptions options;
            options.validate_images = false;
            options.limit = settings.limit;
            auto dataset = open_dataset(settings.dataset_spec, options, job);
            if (!dataset) return dataset.error();
            return std::shared_ptr<const Dataset>(std::move(*dataset));
        },
        this, [this](Expected<std::shared_ptr<const Dataset>> preview) {
            if (preview && !session_) Q_EMIT preview_ready(*preview);
        });
    const std::filesystem::path path = folder.toStdString();
    open_with(tr("Building the project"), folder,
              [path, settings](const JobContext& job) { return InteractiveSession::create(path, settings, job); });
}

void SessionController::open_project(const QString& folder) {
    if (refuse_while_busy(tr("open a project"))) return;
    close_project();
    const std::filesystem::path path = folder.toStdString();
    open_with(tr("Opening the project"), folder, [path](const JobContext& job) { return InteractiveSession::open(path, job); });
}

void SessionController::close_project() {
    if (!session_) return;
    runner_->cancel_all();
    runner_->wait_for_all();
    session_.reset();
    folder_.clear();
    Q_EMIT session_closed();
}

void SessionController::adopt_session(std::shared_ptr<InteractiveSession> session, const QString& folder) {
    session_ = std::move(session);
    folder_ = folder;
    Q_EMIT session_opened();
    Q_EMIT clustering_changed();
    query_shown_at_ms_ = QDateTime::currentMSecsSinceEpoch();
    Q_EMIT query_changed();
    if (!session_->current_query()) {
        Q_EMIT status_message(tr("Project ready: %1 images in %2 clusters.")
                                  .arg(session_->dataset()->size())
                                  .arg(session_->clustering().cluster_count));
    }
}

std::optional<QueryCard> SessionController::current_card() const {
    if (!session_) return std::nullopt;
    const auto query = session_->current_query();
    if (!query) return std::nullopt;
    const auto names = session_->cluster_names();
    QueryCard card;
    card.item = query->sample;
    card.hardness = query->hardness;
    card.representativeness = query->representativeness;
    card.diversity = query->diversity;
    card.position = static_cast<int>(query->position);
    card.round_size = static_cast<int>(query->round_size);
    card.answered = static_cast<int>(query->answered_in_round);
    for (const auto& candidate : query->candidates) {
        card.candidates.push_back({candidate.cluster, QString::fromStdString(names[static_cast<std::size_t>(candidate.cluster)]),
                                   std::vector<qint64>(candidate.exemplars.begin(), candidate.exemplars.end())});
    }
    return card;
}

void SessionController::start_round() {
    if (!session_ || refuse_while_busy(tr("start a round"))) return;
    auto session = session_;
    const int queries = session->settings().round_size;
    active_job_ = runner_->run<RoundPlan>(
        tr("Choosing the next questions"),
        [session, queries](const JobContext& job) { return session->plan_round(queries, job); }, this,
        [this, session](Expected<RoundPlan> plan) {
            active_job_ = 0;
            if (session != session_) return;  // the project was closed meanwhile
            if (!plan) {
                if (plan.error().code != ErrorCode::cancelled) Q_EMIT error_occurred(tr("Could not choose questions"), describe(plan.error()));
                return;
            }
            if (auto adopted = session_->adopt_round(*plan); !adopted) {
                Q_EMIT error_occurred(tr("Could not start the round"), describe(adopted.error()));
                return;
            }
            query_shown_at_ms_ = QDateTime::currentMSecsSinceEpoch();
            Q_EMIT status_message(tr("%n question(s) chosen in %1 s.", nullptr, static_cast<int>(plan->samples.size()))
                                      .arg(plan->elapsed_ms / 1000.0, 0, 'f', 1));
            Q_EMIT query_changed();
        });
}

void SessionController::answer(QueryAnswerKind kind, int cluster) {
    if (!session_) return;
    if (busy()) {
        // Answers never race a job: a fine-tune reads the answers, a plan replaces the round.
        Q_EMIT status_message(tr("Please wait: a job is running."));
        return;
    }
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    auto recorded = session_->answer(to_core(kind), cluster, now - query_shown_at_ms_);
    if (!recorded) {
        Q_EMIT error_occurred(tr("The answer was not saved"), describe(recorded.error()));
        return;
    }
    query_shown_at_ms_ = now;
    after_answer();
}

void SessionController::after_answer() {
    Q_EMIT query_changed();
    if (session_->round_finished() && auto_fine_tune_) {
        Q_EMIT status_message(tr("Round complete: learning from your answers."));
        fine_tune();
    }
}

void SessionController::undo() {
    if (!session_ || refuse_while_busy(tr("undo"))) return;
    auto undone = session_->undo();
    if (!undone) {
        if (undone.error().code == ErrorCode::not_found) Q_EMIT status_message(tr("Nothing to undo."));
        else Q_EMIT error_occurred(tr("Could not undo"), describe(undone.error()));
        return;
    }
    if (undone->kind == corral::AnswerKind::manual_move) Q_EMIT clustering_changed();
    Q_EMIT status_message(tr("Undid the answer for image %1.").arg(undone->sample));
    query_shown_at_ms_ = QDateTime::currentMSecsSinceEpoch();
    Q_EMIT query_changed();
}

void SessionController::fine_tune() {
    if (!session_ || refuse_while_busy(tr("fine-tune"))) return;
    auto session = session_;
    const bool network = session->fine_tune_target() == FineTuneTarget::network;
    active_job_ = runner_->run<TrainingOutcome>(
        network ? tr("Learning from your answers (training the network)") : tr("Learning from your answers"),
        [session](const JobContext& job) { return session->train(job); }, this,
        [this, session](Expected<TrainingOutcome> outcome) {
            active_job_ = 0;
            if (session != session_) return;
            if (!outcome) {
                if (outcome.error().code == ErrorCode::cancelled) {
                    Q_EMIT status_message(tr("Fine-tuning cancelled: the clusters are as they were."));
                } else {
                    Q_EMIT error_occurred(tr("Fine-tuning failed"), describe(outcome.error()));
                }
                return;
            }
            auto change = session_->adopt_training(*outcome);
            if (!change) {
                Q_EMIT error_occurred(tr("Could not save the new clusters"), describe(change.error()));
                return;
            }
            Q_EMIT status_message(tr("New clusters from %n answer(s) in %1 s.", nullptr, static_cast<int>(outcome->answers_used))
                                      .arg(outcome->elapsed_ms / 1000.0, 0, 'f', 1));
            Q_EMIT clustering_changed();
            Q_EMIT query_changed();
            Q_EMIT training_adopted(*change, outcome->answers_used, outcome->answers_left_out);
        });
}

void SessionController::switch_clustering(qint64 clustering_id) {
    if (!session_ || clustering_id == session_->clustering().id || refuse_while_busy(tr("switch clusterings"))) return;
    auto session = session_;
    active_job_ = runner_->run<std::shared_ptr<const PreparedClustering>>(
        tr("Switching clusterings"),
        [session, clustering_id](const JobContext& job) { return session->prepare_switch(clustering_id, job); }, this,
        [this, session](Expected<std::shared_ptr<const PreparedClustering>> prepared) {
            active_job_ = 0;
            if (session != session_) return;
            if (!prepared) {
                if (prepared.error().code != ErrorCode::cancelled) {
                    Q_EMIT error_occurred(tr("Could not switch clusterings"), describe(prepared.error()));
                }
                Q_EMIT clustering_changed();  // the selector shows the clustering that stayed current
                return;
            }
            if (auto adopted = session_->adopt_switch(**prepared); !adopted) {
                Q_EMIT error_occurred(tr("Could not switch clusterings"), describe(adopted.error()));
            }
            Q_EMIT clustering_changed();
            Q_EMIT query_changed();
        });
}

void SessionController::create_aspect_clustering(const AspectClusteringRequest& request) {
    if (!session_ || refuse_while_busy(tr("make a clustering by aspect"))) return;
    auto session = session_;
    const QString title = tr("Clustering by %1").arg(QString::fromStdString(request.params.aspect));
    active_job_ = runner_->run<ClusteringRecord>(
        title, [session, request](const JobContext& job) { return compute_aspect_clustering(*session, request, job); }, this,
        [this, session, title](Expected<ClusteringRecord> record) {
            active_job_ = 0;
            if (session != session_) return;
            if (!record) {
                if (record.error().code == ErrorCode::cancelled) Q_EMIT status_message(tr("%1: cancelled.").arg(title));
                else Q_EMIT error_occurred(tr("Could not cluster by aspect"), describe(record.error()));
                return;
            }
            const QString name = QString::fromStdString(record->name);
            auto stored = store_aspect_clustering(*session_, std::move(*record));
            if (!stored) {
                Q_EMIT error_occurred(tr("Could not save the clustering"), describe(stored.error()));
                return;
            }
            Q_EMIT status_message(tr("Clustering “%1” is ready.").arg(name));
            Q_EMIT clustering_changed();  // the selector lists it at once; switching follows
            switch_clustering(*stored);
        });
}

void SessionController::rename_clustering(qint64 clustering_id, const QString& name) {
    if (!session_ || refuse_while_busy(tr("rename a clustering"))) return;
    if (auto status = session_->rename_clustering(clustering_id, name.trimmed().toStdString()); !status) {
        Q_EMIT error_occurred(tr("Could not rename the clustering"), describe(status.error()));
        return;
    }
    Q_EMIT clustering_changed();
}

void SessionController::move_images(const std::vector<qint64>& items, int cluster) {
    if (!session_ || refuse_while_busy(tr("move images"))) return;
    std::vector<std::int64_t> moved(items.begin(), items.end());
    if (auto status = session_->move_images(moved, cluster); !status) {
        Q_EMIT error_occurred(tr("Could not move the images"), describe(status.error()));
        return;
    }
    Q_EMIT status_message(tr("Moved %n image(s).", nullptr, static_cast<int>(items.size())));
    Q_EMIT clustering_changed();
}

void SessionController::rename_cluster(int cluster, const QString& name) {
    if (!session_) return;
    if (auto status = session_->rename_cluster(cluster, name.toStdString()); !status) {
        Q_EMIT error_occurred(tr("Could not rename the cluster"), describe(status.error()));
        return;
    }
    Q_EMIT clustering_changed();
}

}  // namespace corral::ui
