#include "corral/ui/session_controller.h"

#include <QDateTime>
#include <QPointer>
#include <QTimer>
#include <QUndoStack>

#include <set>

#include "corral/core/project.h"
#include "corral/ui/job_runner.h"
#include "plural.h"
#include "session_commands.h"

namespace corral::ui {
namespace {

QString describe(const Error& error) { return QString::fromStdString(error.message); }

QString quoted(const QString& name) { return SessionController::tr("“%1”").arg(name); }

QString answer_text(AnswerKind kind, const QString& cluster_name) {
    switch (kind) {
        case AnswerKind::positive: return SessionController::tr("Answer %1").arg(quoted(cluster_name));
        case AnswerKind::negative: return SessionController::tr("Answer “None of these”");
        case AnswerKind::skip: return SessionController::tr("Skip");
        case AnswerKind::manual_move: break;
    }
    return SessionController::tr("Move");
}

// How often a new open looks whether the previous project's files have been let go.
constexpr int kReleasePollMs = 20;

}  // namespace

SessionController::SessionController(JobRunner* runner, QObject* parent)
    : QObject(parent), runner_(runner), undo_stack_(new QUndoStack(this)) {}

SessionController::~SessionController() {
    // Shutdown is the one place that waits: the jobs hold the session and the project's files.
    runner_->cancel_all();
    runner_->wait_for_all();
}

template <typename T>
int SessionController::run_job(JobKind kind, const QString& title,
                               std::function<Expected<T>(std::shared_ptr<InteractiveSession>, const JobContext&)> work,
                               std::function<void(Expected<T>)> done, QObject* receiver) {
    auto session = session_;
    auto id = std::make_shared<int>(0);
    QPointer<QObject> alive(receiver);
    // Only the work holds the session: a job of a closed project lets go of it (and of the
    // project's lock) on its worker as soon as it returns.
    std::weak_ptr<InteractiveSession> started_on = session;
    // Exclusive jobs report to the controller itself, so that busy() always ends.
    *id = runner_->run<T>(
        title, [session, work = std::move(work)](const JobContext& job) { return work(session, job); },
        kind == JobKind::exclusive || !receiver ? this : receiver,
        [this, started_on, kind, id, alive, has_receiver = receiver != nullptr, done = std::move(done)](Expected<T> result) {
            job_ended(kind, *id);
            const auto session = started_on.lock();
            if (!session || session != session_) return;  // the project was closed meanwhile
            if (has_receiver && !alive) return;
            done(std::move(result));
        });
    if (kind == JobKind::exclusive) {
        active_job_ = *id;
        Q_EMIT busy_changed(true);
    }
    return *id;
}

void SessionController::job_ended(JobKind kind, int id) {
    if (kind == JobKind::exclusive && id == active_job_) {
        active_job_ = 0;
        Q_EMIT busy_changed(false);
        if (learned_waiting_ && session_) {
            // Deferred to the next turn of the event loop: the job's own result is handled first.
            QTimer::singleShot(0, this, [this, session = session_.get()] {
                if (!learned_waiting_ || session != session_.get() || busy()) return;
                auto learned = std::move(*learned_waiting_);
                learned_waiting_.reset();
                adopt_learned(learned);
            });
        }
    }
}

bool SessionController::refuse_while_busy(const QString& what) {
    if (!busy()) return false;
    Q_EMIT status_message(tr("Please wait for the running job to finish (or cancel it with Esc) to %1.").arg(what));
    return true;
}

void SessionController::report(const QString& title, const Error& error) {
    if (error.code == ErrorCode::cancelled) {
        Q_EMIT status_message(tr("%1: cancelled.").arg(title));
        return;
    }
    Q_EMIT error_occurred(title, describe(error));
}

// --- opening and closing

void SessionController::when_released(std::function<void()> open) {
    const int generation = generation_;
    when_released(generation, std::move(open));
}

void SessionController::when_released(int generation, std::function<void()> open) {
    if (generation != generation_) return;  // closed again meanwhile
    if (closing_.expired()) {
        open();
        return;
    }
    // A cancelled job still holds the previous session (and the project's lock) for a moment.
    QTimer::singleShot(kReleasePollMs, this,
                       [this, generation, open = std::move(open)]() mutable { when_released(generation, std::move(open)); });
}

void SessionController::open_with(const QString& title, const QString& folder,
                                  std::function<Expected<std::unique_ptr<InteractiveSession>>(const JobContext&)> make) {
    auto id = std::make_shared<int>(0);
    *id = runner_->run<std::shared_ptr<InteractiveSession>>(
        title,
        [make = std::move(make)](const JobContext& job) -> Expected<std::shared_ptr<InteractiveSession>> {
            auto session = make(job);
            if (!session) return session.error();
            return std::shared_ptr<InteractiveSession>(std::move(*session));
        },
        this, [this, folder, title, id](Expected<std::shared_ptr<InteractiveSession>> result) {
            if (*id != opening_job_) return;  // superseded by a close
            opening_job_ = 0;
            job_ended(JobKind::exclusive, *id);
            auto learning = std::move(learning_after_build_);
            learning_after_build_.reset();
            if (result) {
                adopt_session(std::move(*result), folder);
                if (learning) start_feature_learning(*learning);
                return;
            }
            dataset_.reset();
            folder_.clear();
            Q_EMIT open_failed(folder, describe(result.error()), result.error().code);
        });
    opening_job_ = *id;
    active_job_ = *id;
    Q_EMIT busy_changed(true);
}

void SessionController::create_project(const QString& folder, const SessionSettings& settings,
                                       std::optional<FeatureLearningPlan> learning) {
    if (refuse_while_busy(tr("create a project"))) return;
    close_project();
    folder_ = folder;
    learning_after_build_ = std::move(learning);
    // Busy at once: the build starts once the previous project is let go.
    active_job_ = -1;
    when_released([this, folder, settings] {
        // The images show at once: they are listed without decoding while the project is built.
        auto listing = std::make_shared<int>(0);
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
            this, [this, folder](Expected<std::shared_ptr<const Dataset>> preview) {
                if (preview && !session_ && opening() && folder_ == folder) {
                    dataset_ = *preview;
                    Q_EMIT preview_ready(*preview);
                }
            });
        const std::filesystem::path path = folder.toStdString();
        std::error_code ignored;
        const bool existed = std::filesystem::exists(path, ignored);
        open_with(tr("Building the project"), folder, [path, settings, existed](const JobContext& job) {
            auto created = InteractiveSession::create(path, settings, job);
            if (!created && !existed && std::filesystem::exists(path / "project.sqlite")) {
                // A build that failed or was cancelled leaves no half-made project behind: the
                // folder is the one this build made (it did not exist), and nothing holds it now.
                std::error_code failed_removal;
                std::filesystem::remove_all(path, failed_removal);
            }
            return created;
        });
    });
}

void SessionController::open_project(const QString& folder) {
    if (refuse_while_busy(tr("open a project"))) return;
    close_project();
    folder_ = folder;
    active_job_ = -1;
    when_released([this, folder] {
        const std::filesystem::path path = folder.toStdString();
        open_with(tr("Opening the project"), folder, [path](const JobContext& job) { return InteractiveSession::open(path, job); });
    });
}

void SessionController::close_project() {
    ++generation_;
    runner_->cancel_all();
    const bool had_project = session_ || opening();
    if (opening_job_ != 0) {
        // Its result, when it comes, is dropped; a half-built project is removed by core on cancel.
        opening_job_ = 0;
    }
    if (active_job_ != 0) {
        active_job_ = 0;
        Q_EMIT busy_changed(false);
    }
    undo_stack_->clear();
    // The training's job was cancelled above; its record stays "training", so reopening continues it.
    learning_job_ = 0;
    learned_waiting_.reset();
    learning_after_build_.reset();
    // Kept across a second close (open_project closes first): a session still held by a
    // cancelled job must be waited for by the next open, or its project is "open elsewhere".
    if (session_) closing_ = session_;
    session_.reset();
    dataset_.reset();
    clustering_view_.reset();
    folder_.clear();
    if (had_project) Q_EMIT session_closed();
}

void SessionController::adopt_session(std::shared_ptr<InteractiveSession> session, const QString& folder) {
    session_ = std::move(session);
    dataset_ = session_->dataset();
    folder_ = folder;
    undo_stack_->clear();
    refresh_views(true, false);
    Q_EMIT session_opened();
    Q_EMIT clustering_changed();
    query_shown_at_ms_ = QDateTime::currentMSecsSinceEpoch();
    Q_EMIT query_changed();
    if (!session_->current_query()) {
        Q_EMIT status_message(tr("Project ready: %1 images in %2 clusters.")
                                  .arg(session_->dataset()->size())
                                  .arg(session_->clustering().cluster_count));
    }
    const auto learning = session_->feature_learning();
    // A training the window closed on goes on; one the user paused waits to be continued.
    if (learning && learning->status == FeatureLearningStatus::training) run_feature_learning();
    else Q_EMIT feature_learning_changed();
}

// --- learning features

std::optional<FeatureLearningState> SessionController::feature_learning() const {
    if (!session_) return std::nullopt;
    return session_->feature_learning();
}

void SessionController::start_feature_learning(const FeatureLearningPlan& plan) {
    if (!session_ || learning_features()) return;
    if (auto begun = session_->begin_feature_learning(plan); !begun) {
        return report(tr("Could not start learning features"), begun.error());
    }
    run_feature_learning();
}

void SessionController::continue_feature_learning() {
    if (!session_ || learning_features()) return;
    const auto learning = session_->feature_learning();
    if (!learning || learning->status == FeatureLearningStatus::finished) return;
    run_feature_learning();
}

void SessionController::pause_feature_learning() {
    if (learning_job_ != 0) runner_->cancel(learning_job_);
}

void SessionController::discard_feature_learning() {
    if (!session_ || learning_features()) return;
    if (auto discarded = session_->discard_feature_learning(); !discarded) {
        return report(tr("Could not discard the training"), discarded.error());
    }
    Q_EMIT status_message(tr("The unfinished training was discarded."));
    Q_EMIT feature_learning_changed();
}

void SessionController::run_feature_learning() {
    // A reader: the session's clustering stays usable (answers, moves, rounds) while it trains.
    learning_job_ = run_job<LearnedFeatures>(
        JobKind::reader, tr("Learning features from the images"),
        [](std::shared_ptr<InteractiveSession> session, const JobContext& job) { return session->learn_features(job); },
        [this](Expected<LearnedFeatures> learned) {
            learning_job_ = 0;
            if (!learned) {
                if (auto stopped = session_->stop_feature_learning(learned.error()); !stopped) {
                    report(tr("Could not record the training's state"), stopped.error());
                }
                if (learned.error().code == ErrorCode::cancelled) {
                    Q_EMIT status_message(tr("Learning features paused; the finished epochs are kept. "
                                             "Continue any time, also after reopening the project."));
                } else {
                    Q_EMIT error_occurred(tr("Learning features failed"), describe(learned.error()));
                }
                Q_EMIT feature_learning_changed();
                return;
            }
            if (busy()) {
                // An exclusive job reads the current clustering; the switch waits for it (job_ended).
                learned_waiting_ = std::move(*learned);
                Q_EMIT status_message(tr("Features learned: the new clusters follow when the running job ends."));
                return;
            }
            adopt_learned(*learned);
        });
    Q_EMIT feature_learning_changed();
}

void SessionController::adopt_learned(const LearnedFeatures& learned) {
    const QString previous_name = clustering_view_ ? clustering_view_->name : QString();
    auto change = session_->adopt_learned_features(learned);
    if (!change) {
        report(tr("Could not switch to the learned features"), change.error());
        Q_EMIT feature_learning_changed();
        return;
    }
    undo_stack_->clear();  // the history named the clusters of the clustering left
    Q_EMIT status_message(tr("Features learned in %1 epochs: the clusters now come from them.").arg(learned.epochs_completed));
    refresh_views(true, true);
    Q_EMIT feature_learning_changed();
    Q_EMIT features_learned(*change, previous_name);
}

// --- view models

void SessionController::refresh_views(bool clustering, bool query) {
    if (!session_) return;
    if (clustering) {
        auto view = std::make_shared<ClusteringView>();
        const auto& record = session_->clustering();
        view->id = record.id;
        view->name = QString::fromStdString(record.name);
        view->assignment = record.assignment;
        for (const auto& name : session_->cluster_names()) view->names.push_back(QString::fromStdString(name));
        if (const auto aspect = describe_aspect_clustering(record)) {
            for (const auto& words : aspect->top_words) {
                QStringList parts;
                for (const auto& [word, weight] : words) {
                    // One decimal: a young clustering's weights differ by fractions of a percent.
                    parts << tr("%1 %2%").arg(QString::fromStdString(word)).arg(weight * 100, 0, 'f', 1);
                }
                view->details.push_back(parts.join(QStringLiteral(" · ")));
            }
            view->aspect_summary = tr("Aspect <b>%1</b> · %2 words · K = %3 · <i>%4</i>")
                                       .arg(QString::fromStdString(aspect->aspect).toHtmlEscaped())
                                       .arg(aspect->words.size())
                                       .arg(aspect->clusters)
                                       .arg(QString::fromStdString(aspect->prompt).toHtmlEscaped());
        }
        view->can_add_cluster = session_->fine_tune_target() != FineTuneTarget::network;
        clustering_view_ = std::move(view);
        Q_EMIT clustering_changed();
    }
    if (query) Q_EMIT query_changed();
}

std::vector<ClusteringEntry> SessionController::clusterings() const {
    std::vector<ClusteringEntry> entries;
    if (!session_) return entries;
    const auto current = session_->clustering().id;
    for (const auto& summary : session_->history()) {
        entries.push_back({summary.id, QString::fromStdString(summary.name), summary.id == current, summary.scores,
                           summary.answers_used, summary.answers_given});
    }
    return entries;
}

std::optional<SessionQuery> SessionController::current_query() const {
    if (!session_) return std::nullopt;
    auto query = session_->current_query();
    if (query) query->similar_images = session_->similar_images(*query).value_or(-1);
    return query;
}

std::vector<qint64> SessionController::typical_members(int cluster) const {
    if (!session_) return {};
    const auto members = session_->typical_members(cluster);
    return {members.begin(), members.end()};
}

ProjectSummary SessionController::summary() const {
    ProjectSummary summary;
    summary.folder = folder_;
    if (!session_) return summary;
    summary.round_size = session_->settings().round_size;
    summary.clusters = session_->settings().clusters;
    summary.active_answers = session_->active_answer_count();
    summary.has_ground_truth = session_->dataset()->has_ground_truth();
    return summary;
}

// --- the IDC loop

void SessionController::start_round() {
    if (!session_ || refuse_while_busy(tr("start a round"))) return;
    const int queries = session_->settings().round_size;
    run_job<RoundPlan>(
        JobKind::exclusive, tr("Choosing the next questions"),
        [queries](std::shared_ptr<InteractiveSession> session, const JobContext& job) { return session->plan_round(queries, job); },
        [this](Expected<RoundPlan> plan) {
            if (!plan) return report(tr("Could not choose questions"), plan.error());
            if (auto adopted = session_->adopt_round(*plan); !adopted) return report(tr("Could not start the round"), adopted.error());
            query_shown_at_ms_ = QDateTime::currentMSecsSinceEpoch();
            Q_EMIT status_message(tr("%1 chosen in %2 s.")
                                      .arg(count_text(static_cast<qint64>(plan->samples.size()), tr("%1 question"), tr("%1 questions")))
                                      .arg(plan->elapsed_ms / 1000.0, 0, 'f', 1));
            Q_EMIT query_changed();
        });
}

void SessionController::push(SessionCommand* command) { undo_stack_->push(command); }

void SessionController::answer(AnswerKind kind, int cluster) {
    if (!session_) return;
    if (busy()) {
        // Answers never race a job: a fine-tune reads the answers, a plan replaces the round.
        Q_EMIT status_message(tr("Please wait: a job is running."));
        return;
    }
    const auto query = session_->current_query();
    if (!query) return;
    if (kind == AnswerKind::manual_move) return;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const QString name = clustering_view_ ? clustering_view_->cluster_name(cluster) : QString();
    push(new AnswerCommand(this, answer_text(kind, name), query->sample, kind, cluster, now - query_shown_at_ms_));
    query_shown_at_ms_ = now;
}

void SessionController::after_answer() {
    if (session_->round_finished() && auto_fine_tune_) {
        Q_EMIT status_message(tr("Round complete: learning from your answers."));
        fine_tune();
    }
}

void SessionController::undo() {
    if (!session_ || refuse_while_busy(tr("undo"))) return;
    if (!undo_stack_->canUndo()) {
        Q_EMIT status_message(tr("Nothing to undo."));
        return;
    }
    const QString what = undo_stack_->undoText();
    undo_stack_->undo();
    query_shown_at_ms_ = QDateTime::currentMSecsSinceEpoch();
    Q_EMIT status_message(tr("Undone: %1.").arg(what));
}

void SessionController::redo() {
    if (!session_ || refuse_while_busy(tr("redo"))) return;
    if (!undo_stack_->canRedo()) {
        Q_EMIT status_message(tr("Nothing to redo."));
        return;
    }
    const QString what = undo_stack_->redoText();
    undo_stack_->redo();
    query_shown_at_ms_ = QDateTime::currentMSecsSinceEpoch();
    Q_EMIT status_message(tr("Redone: %1.").arg(what));
}

void SessionController::fine_tune() {
    if (!session_ || refuse_while_busy(tr("fine-tune"))) return;
    const bool network = session_->fine_tune_target() == FineTuneTarget::network;
    run_job<TrainingOutcome>(
        JobKind::exclusive,
        network ? tr("Learning from your answers (training the network)") : tr("Learning from your answers"),
        [](std::shared_ptr<InteractiveSession> session, const JobContext& job) { return session->train(job); },
        [this](Expected<TrainingOutcome> outcome) {
            if (!outcome) {
                if (outcome.error().code == ErrorCode::cancelled) {
                    Q_EMIT status_message(tr("Fine-tuning cancelled: the clusters are as they were."));
                } else {
                    Q_EMIT error_occurred(tr("Fine-tuning failed"), describe(outcome.error()));
                }
                return;
            }
            QString previous_name = clustering_view_ ? clustering_view_->name : QString();
            auto change = session_->adopt_training(*outcome);
            if (!change) return report(tr("Could not save the new clusters"), change.error());
            undo_stack_->clear();  // the history named the clusters of the clustering it came from
            Q_EMIT status_message(tr("New clusters from %1 in %2 s.")
                                      .arg(count_text(outcome->answers_used, tr("%1 answer"), tr("%1 answers")))
                                      .arg(outcome->elapsed_ms / 1000.0, 0, 'f', 1));
            refresh_views(true, true);
            Q_EMIT training_adopted(*change, outcome->answers_used, outcome->answers_left_out, previous_name);
        });
}

// --- corrections

void SessionController::move_images(const std::vector<qint64>& items, int cluster) {
    if (!session_ || items.empty() || refuse_while_busy(tr("move images"))) return;
    if (!clustering_view_ || cluster < 0 || cluster >= clustering_view_->cluster_count()) return;
    const QString text = tr("Move %1 to %2")
                             .arg(count_text(static_cast<qint64>(items.size()), tr("%1 image"), tr("%1 images")),
                                  quoted(clustering_view_->cluster_name(cluster)));
    push(new MoveCommand(this, text, items, cluster));
}

void SessionController::move_images_to_new_cluster(const std::vector<qint64>& items, const QString& name) {
    if (!session_ || items.empty() || refuse_while_busy(tr("make a new cluster"))) return;
    if (!name.trimmed().isEmpty()) {
        if (const QString problem = cluster_name_problem(-1, name); !problem.isEmpty()) {
            Q_EMIT error_occurred(tr("Could not make a new cluster"), problem);
            return;
        }
    }
    const QString text =
        tr("Move %1 to a new cluster").arg(count_text(static_cast<qint64>(items.size()), tr("%1 image"), tr("%1 images")));
    const int clusters_before = clustering_view_->cluster_count();
    push(new MoveCommand(this, text, items, name));
    // Shown once the views know it (a command that failed made nothing).
    if (clustering_view_->cluster_count() > clusters_before) Q_EMIT cluster_added(clusters_before);
}

void SessionController::merge_clusters(int from, int into) {
    if (!session_ || from == into || refuse_while_busy(tr("merge clusters"))) return;
    if (!clustering_view_ || from < 0 || into < 0 || from >= clustering_view_->cluster_count() ||
        into >= clustering_view_->cluster_count()) {
        return;
    }
    const QString text = tr("Merge %1 into %2").arg(quoted(clustering_view_->cluster_name(from)),
                                                    quoted(clustering_view_->cluster_name(into)));
    push(MoveCommand::merge(this, text, from, into));
}

QString SessionController::cluster_name_problem(int cluster, const QString& name) const {
    const QString wanted = name.trimmed();
    if (wanted.isEmpty()) return tr("A cluster needs a name.");
    if (!clustering_view_) return {};
    for (int other = 0; other < clustering_view_->cluster_count(); ++other) {
        if (other == cluster) continue;
        if (clustering_view_->cluster_name(other).compare(wanted, Qt::CaseInsensitive) == 0) {
            return tr("Another cluster is already named %1.").arg(quoted(clustering_view_->cluster_name(other)));
        }
    }
    return {};
}

void SessionController::rename_cluster(int cluster, const QString& name) {
    if (!session_ || !clustering_view_ || cluster < 0 || cluster >= clustering_view_->cluster_count()) return;
    const QString wanted = name.trimmed();
    const QString shown = clustering_view_->cluster_name(cluster);
    if (wanted == shown) return;
    if (const QString problem = cluster_name_problem(cluster, wanted); !problem.isEmpty()) {
        Q_EMIT status_message(problem);
        Q_EMIT rename_refused(cluster, problem);
        refresh_views(true, false);  // the list shows the name that stayed
        return;
    }
    const auto& stored = session_->clustering().cluster_names;
    const QString old_name = static_cast<std::size_t>(cluster) < stored.size()
                                 ? QString::fromStdString(stored[static_cast<std::size_t>(cluster)])
                                 : QString();
    push(new RenameClusterCommand(this, tr("Rename %1 to %2").arg(quoted(shown), quoted(wanted)), cluster, old_name, wanted));
}

void SessionController::rename_clustering(qint64 clustering_id, const QString& name) {
    if (!session_ || refuse_while_busy(tr("rename a clustering"))) return;
    const QString wanted = name.trimmed();
    QString old_name;
    for (const auto& entry : clusterings()) {
        if (entry.id == clustering_id) old_name = entry.name;
    }
    if (wanted.isEmpty() || wanted == old_name) return;
    push(new RenameClusteringCommand(this, tr("Rename clustering %1 to %2").arg(quoted(old_name), quoted(wanted)),
                                     clustering_id, old_name, wanted));
}

// --- clusterings

void SessionController::switch_clustering(qint64 clustering_id) {
    if (!session_ || clustering_id == session_->clustering().id || refuse_while_busy(tr("switch clusterings"))) return;
    run_job<std::shared_ptr<const PreparedClustering>>(
        JobKind::exclusive, tr("Switching clusterings"),
        [clustering_id](std::shared_ptr<InteractiveSession> session, const JobContext& job) {
            return session->prepare_switch(clustering_id, job);
        },
        [this](Expected<std::shared_ptr<const PreparedClustering>> prepared) {
            if (!prepared) {
                report(tr("Could not switch clusterings"), prepared.error());
                refresh_views(true, false);  // the selector shows the clustering that stayed current
                return;
            }
            if (auto adopted = session_->adopt_switch(**prepared); !adopted) {
                report(tr("Could not switch clusterings"), adopted.error());
            } else {
                undo_stack_->clear();  // the history named the clusters of the clustering left
            }
            refresh_views(true, true);
        });
}

void SessionController::create_aspect_clustering(const AspectClusteringRequest& request) {
    if (!session_ || refuse_while_busy(tr("make a clustering by aspect"))) return;
    const QString title = tr("Clustering by %1").arg(QString::fromStdString(request.params.aspect));
    run_job<ClusteringRecord>(
        JobKind::exclusive, title,
        [request](std::shared_ptr<InteractiveSession> session, const JobContext& job) {
            return compute_aspect_clustering(*session, request, job);
        },
        [this, title](Expected<ClusteringRecord> record) {
            if (!record) return report(tr("Could not cluster by aspect"), record.error());
            const QString name = QString::fromStdString(record->name);
            auto stored = store_aspect_clustering(*session_, std::move(*record));
            if (!stored) return report(tr("Could not save the clustering"), stored.error());
            Q_EMIT status_message(tr("Clustering “%1” is ready.").arg(name));
            refresh_views(true, false);  // the selector lists it at once; switching follows
            switch_clustering(*stored);
        });
}

// --- readers

std::optional<FloatMatrix> SessionController::stored_map() const {
    if (!session_) return std::nullopt;
    return session_->stored_map();
}

TsneParams SessionController::default_map_params() const {
    return session_ ? session_->default_map_params() : TsneParams{};
}

int SessionController::compute_map(const TsneParams& params, TsneLayoutCallback on_layout, QObject* receiver,
                                   std::function<void(Expected<FloatMatrix>)> done) {
    if (!session_) return 0;
    return run_job<FloatMatrix>(
        JobKind::reader, tr("Computing the map"),
        [params, on_layout = std::move(on_layout)](std::shared_ptr<InteractiveSession> session, const JobContext& job) {
            return session->compute_map(params, job, on_layout);
        },
        std::move(done), receiver);
}

int SessionController::find_similar_images(qint64 item, int count, QObject* receiver,
                                           std::function<void(Expected<std::vector<RankedImage>>)> done) {
    if (!session_) return 0;
    // The features the user sees now; a clustering adopted meanwhile does not change them.
    auto features = session_->features();
    return run_job<std::vector<RankedImage>>(
        JobKind::reader, tr("Finding similar images"),
        [features, item, count](std::shared_ptr<InteractiveSession>, const JobContext& job) {
            return corral::find_similar_images(*features, item, count, job);
        },
        std::move(done), receiver);
}

TextSearchModel SessionController::text_search_model(const QString& configured_clip_model_dir) const {
    if (!session_) {
        TextSearchModel none;
        none.problem = "no project is open";
        return none;
    }
    return corral::text_search_model(session_->settings().encoder_spec, configured_clip_model_dir.toStdString());
}

int SessionController::search_images_by_text(const QString& text, const QString& clip_model_dir, int count,
                                             QObject* receiver,
                                             std::function<void(Expected<std::vector<RankedImage>>)> done) {
    if (!session_) return 0;
    const SearchFeatures current{session_->features(), session_->clustering().encoder_id};
    auto dataset = dataset_;
    return run_job<std::vector<RankedImage>>(
        JobKind::reader, tr("Searching by text"),
        [current, dataset, folder = clip_model_dir.toStdString(), prompt = text.toStdString(), count](
            std::shared_ptr<InteractiveSession> session, const JobContext& job) {
            return corral::search_images_by_text(session->project(), *dataset, current, folder, prompt, count, job);
        },
        std::move(done), receiver);
}

int SessionController::export_clustering(ExportOptions options, QObject* receiver,
                                         std::function<void(Expected<ExportReport>)> done) {
    if (!session_ || refuse_while_busy(tr("export"))) return 0;
    options.clustering_name = session_->clustering().name;
    return run_job<ExportReport>(
        JobKind::exclusive, tr("Exporting"),
        [options, dataset = dataset_](std::shared_ptr<InteractiveSession> session, const JobContext& job) {
            return corral::export_clustering(session->project(), options, dataset.get(), job);
        },
        std::move(done), receiver);
}

void SessionController::cancel_job(int id) {
    if (id != 0) runner_->cancel(id);
}

std::vector<AnswerRecord> SessionController::answers() const {
    if (!session_) return {};
    auto answers = session_->project().answers();
    return answers ? std::move(*answers) : std::vector<AnswerRecord>{};
}

std::vector<QueryRound> SessionController::rounds_seen() const {
    std::vector<QueryRound> rounds;
    if (!session_) return rounds;
    auto& project = session_->project();
    std::set<std::int64_t> ids;
    if (auto all = project.answers(true)) {
        for (const auto& answer : *all) {
            if (answer.round_id) ids.insert(*answer.round_id);
        }
    }
    if (auto open = project.open_round(); open && *open) ids.insert((*open)->id);
    for (const std::int64_t id : ids) {
        if (auto round = project.round(id)) rounds.push_back(std::move(*round));
    }
    return rounds;
}

}  // namespace corral::ui
