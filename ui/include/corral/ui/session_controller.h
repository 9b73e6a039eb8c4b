#pragma once
// The one door from the widgets into the InteractiveSession. Widgets read view models
// (view_models.h) that the controller makes on the UI thread after each change, and ask the
// controller for every change; none of them holds the session.
//
// Threading: the controller, the session's owner-thread methods and every view model live on
// the UI thread. Jobs get the session through run_job only:
// - exclusive jobs (open or build, plan a round, fine-tune, switch, aspect clustering, export)
//   set busy(); while one runs, every step that would change the session (answers, undo, moves,
//   renames, merges, rounds, switches, exports) is refused with a message instead of racing it;
// - reader jobs (the map, find-similar, text search, feature learning) run beside them on what
//   does not change under them: a snapshot of the current clustering's features
//   (InteractiveSession::features), the dataset, or the project store, whose methods are
//   thread-safe; their results are adopted on the UI thread, feature learning's once no
//   exclusive job runs.
// No other code starts a job on the session. The UI thread never waits for a job: closing a
// project cancels its jobs and lets go of the session, which the last job to finish releases
// (on its worker); only the destructor waits (shutdown), and the window closes only once the
// jobs have returned (MainWindow::closeEvent), so it does not wait there either.
//
// Corrections (answers, moves, renames, merges, new clusters) are commands on one QUndoStack,
// each undone as one step from any tab. Learning from the answers or switching clusterings
// starts a new history: the earlier steps named clusters of another clustering.
#include <QObject>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

#include "corral/core/aspect_clustering.h"
#include "corral/core/dataset.h"
#include "corral/core/image_search.h"
#include "corral/core/interactive_session.h"
#include "corral/core/project_export.h"
#include "corral/ui/view_models.h"

class QUndoStack;

namespace corral::ui {

class JobRunner;

class SessionController : public QObject {
    Q_OBJECT
public:
    explicit SessionController(JobRunner* runner, QObject* parent = nullptr);
    ~SessionController() override;

    // With `learning`, features are learned from the images once the project is built (the
    // project starts on the settings' encoder, pixels for "Learn features from these images").
    void create_project(const QString& folder, const SessionSettings& settings,
                        std::optional<FeatureLearningPlan> learning = std::nullopt);
    void open_project(const QString& folder);
    // Cancels the project's jobs and closes it at once; the files are let go when the last job returns.
    void close_project();

    bool has_session() const { return session_ != nullptr; }
    // For tests and diagnostics only: widgets use the view models below.
    InteractiveSession* session() const { return session_.get(); }
    JobRunner* runner() const { return runner_; }
    std::shared_ptr<const Dataset> dataset() const { return dataset_; }
    // An exclusive job (one that changes the session) is running.
    bool busy() const { return active_job_ != 0; }
    // A project is being opened or built.
    bool opening() const { return opening_job_ != 0; }
    QString project_folder() const { return folder_; }

    // --- view models (empty or nullopt without a session)
    std::shared_ptr<const ClusteringView> clustering_view() const { return clustering_view_; }
    std::vector<ClusteringEntry> clusterings() const;
    // The question to show now, with the size of its image's dense neighbourhood filled in.
    std::optional<SessionQuery> current_query() const;
    // The images of `cluster` in the current clustering, the most typical (nearest its centre) first.
    std::vector<qint64> typical_members(int cluster) const;
    ProjectSummary summary() const;

    // --- the IDC loop
    // Plans the next round on a worker thread; query_changed follows.
    void start_round();
    // Answers the current question (an undoable step); `cluster` is the chosen candidate's for positive answers.
    void answer(AnswerKind kind, int cluster);
    // Fine-tunes with every answer so far; a new clustering follows (clustering_changed).
    void fine_tune();
    // Fine-tune automatically when a round is complete (default on).
    void set_auto_fine_tune(bool enabled) { auto_fine_tune_ = enabled; }

    // --- corrections, each one step on the undo stack
    QUndoStack* undo_stack() const { return undo_stack_; }
    void undo();
    void redo();
    void move_images(const std::vector<qint64>& items, int cluster);
    // A new cluster holding `items`; named `name`, or "Cluster N" when empty.
    void move_images_to_new_cluster(const std::vector<qint64>& items, const QString& name = {});
    // Every image of `from` into `into`; `from` stays, empty.
    void merge_clusters(int from, int into);
    // Refused (with a message) when another cluster has that name.
    void rename_cluster(int cluster, const QString& name);
    void rename_clustering(qint64 clustering_id, const QString& name);
    // Why `name` cannot name `cluster` (empty, or another cluster's), or empty when it can.
    QString cluster_name_problem(int cluster, const QString& name) const;

    // --- clusterings
    // Makes another stored clustering current (a job: the head is refitted to it).
    void switch_clustering(qint64 clustering_id);
    // Clusters the images by one aspect (Multi-Sub) on a worker thread, stores the result under
    // the request's name and makes it current (clustering_changed follows, or error_occurred).
    void create_aspect_clustering(const AspectClusteringRequest& request);

    // --- learning features from the images (feature_learning.h): a job beside the others, so
    // the current clustering stays usable while it runs. When it is done its clustering becomes
    // current (once no exclusive job runs) and features_learned says what changed. A project
    // reopened with a training that was running continues it; a paused one is offered.
    // Starts a new training (replacing a paused, failed or finished one).
    void start_feature_learning(const FeatureLearningPlan& plan);
    // Continues the project's training from its checkpoint.
    void continue_feature_learning();
    // Stops the training; its checkpoint stays and continuing is offered.
    void pause_feature_learning();
    // Forgets a training that has not finished, and its checkpoint.
    void discard_feature_learning();
    // The project's training (nullopt without one, or without a session).
    std::optional<FeatureLearningState> feature_learning() const;
    bool learning_features() const { return learning_job_ != 0; }
    // The running training's job id on the runner (0 when none runs).
    int feature_learning_job() const { return learning_job_; }

    // --- readers: jobs on a snapshot of the session that run beside the exclusive ones (they
    // never wait for it and it never waits for them); cancelled when the project closes.
    // The map stored in the project, or nullopt.
    std::optional<FloatMatrix> stored_map() const;
    TsneParams default_map_params() const;
    // t-SNE of the current features, stored in the project; `on_layout` is called on the worker
    // thread with intermediate layouts. Returns the job's id (0 without a session).
    // `done` runs only while `receiver` lives.
    int compute_map(const TsneParams& params, TsneLayoutCallback on_layout, QObject* receiver,
                    std::function<void(Expected<FloatMatrix>)> done);
    void cancel_job(int id);
    // The images most like image `item` by the current clustering's features (the ones its
    // encoder made), best first, the image itself left out. Returns the job's id (0 without a
    // session); `done` runs only while `receiver` lives.
    int find_similar_images(qint64 item, int count, QObject* receiver,
                            std::function<void(Expected<std::vector<RankedImage>>)> done);
    // Which CLIP model text search would use: the project's encoder when it is CLIP, else
    // `configured_clip_model_dir` (the folder chosen for aspect clusterings); why none, if so.
    TextSearchModel text_search_model(const QString& configured_clip_model_dir) const;
    // The images `text` describes, ranked by the CLIP model in `clip_model_dir` (see
    // corral::search_images_by_text: the first search of a project made with another encoder
    // encodes every image with CLIP once and keeps the features in the project).
    int search_images_by_text(const QString& text, const QString& clip_model_dir, int count, QObject* receiver,
                              std::function<void(Expected<std::vector<RankedImage>>)> done);
    // --- export (an exclusive job: no correction changes the clustering while it is written)
    // Writes the current clustering as `options` say (its name filled in; see
    // corral::export_clustering). Returns the job's id, or 0 when refused (no session, or a job
    // that changes the session runs: a status message says so). `done` runs only while
    // `receiver` lives.
    int export_clustering(ExportOptions options, QObject* receiver, std::function<void(Expected<ExportReport>)> done);

    // The active answers (oldest first) and the query rounds the user has seen (with an answer, or open).
    std::vector<AnswerRecord> answers() const;
    std::vector<QueryRound> rounds_seen() const;

Q_SIGNALS:
    // A dataset is known (images can be shown) before the session is ready.
    void preview_ready(std::shared_ptr<const corral::Dataset> dataset);
    void session_opened();
    void session_closed();
    // Opening or building a project failed or was cancelled: the window goes back to where it was.
    void open_failed(const QString& folder, const QString& message, corral::ErrorCode code);
    void clustering_changed();
    void query_changed();
    void status_message(const QString& message);
    void error_occurred(const QString& title, const QString& message);
    // A fine-tune was adopted: what changed (before/after scores with ground truth, images that
    // moved, the round that closed), the answers it learned from and those it had to leave out,
    // and the name of the clustering it started from.
    void training_adopted(const corral::ClusteringChange& change, qint64 answers_used, qint64 answers_left_out,
                          const QString& previous_name);
    // A new name for a cluster was refused (`message` says why); the list shows the old one.
    void rename_refused(int cluster, const QString& message);
    // A cluster was made by "Move to new cluster" (for the browser to show it).
    void cluster_added(int cluster);
    // Whether exclusive work is running changed.
    void busy_changed(bool busy);
    // The project's feature learning started, stopped (paused or failed), finished or was discarded.
    void feature_learning_changed();
    // Learned features became the current clustering: what changed, and the name of the
    // clustering it replaced (one switch away).
    void features_learned(const corral::ClusteringChange& change, const QString& previous_name);

private:
    friend class SessionCommand;
    enum class JobKind { exclusive, reader };

    // Runs `work` with the current session on the runner; `done` runs on the UI thread only if
    // the session is still the current one (and `receiver`, when given, lives). Exclusive jobs
    // set busy() while they run.
    template <typename T>
    int run_job(JobKind kind, const QString& title,
                std::function<Expected<T>(std::shared_ptr<InteractiveSession>, const JobContext&)> work,
                std::function<void(Expected<T>)> done, QObject* receiver = nullptr);
    void job_ended(JobKind kind, int id);

    void adopt_session(std::shared_ptr<InteractiveSession> session, const QString& folder);
    void open_with(const QString& title, const QString& folder,
                   std::function<Expected<std::unique_ptr<InteractiveSession>>(const JobContext&)> make);
    // Starts `open` once the previous project's session is gone (it may live on in a cancelled job).
    void when_released(std::function<void()> open);
    void when_released(int generation, std::function<void()> open);
    bool refuse_while_busy(const QString& what);
    // After an answer (done or redone): the next question, and training when the round is complete.
    void after_answer();
    // Rebuilds the view models; `clustering` also the clustering's, and emits the signals.
    void refresh_views(bool clustering, bool query);
    void report(const QString& title, const Error& error);
    void run_feature_learning();
    void adopt_learned(const LearnedFeatures& learned);
    void push(class SessionCommand* command);

    JobRunner* runner_;
    // Shared with the jobs working on it, so a job never outlives the session it uses.
    std::shared_ptr<InteractiveSession> session_;
    std::weak_ptr<InteractiveSession> closing_;
    std::shared_ptr<const Dataset> dataset_;
    std::shared_ptr<const ClusteringView> clustering_view_;
    QUndoStack* undo_stack_;
    QString folder_;
    int active_job_ = 0;
    int opening_job_ = 0;
    int generation_ = 0;  // counts closes: an open waiting for the previous project checks it
    bool auto_fine_tune_ = true;
    qint64 query_shown_at_ms_ = 0;
    std::optional<FeatureLearningPlan> learning_after_build_;
    int learning_job_ = 0;
    // Learned features waiting for the exclusive job that runs to end before they are adopted.
    std::optional<LearnedFeatures> learned_waiting_;
};

}  // namespace corral::ui
