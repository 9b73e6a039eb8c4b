#pragma once
// Drives one InteractiveSession for the window: every heavy step (open, encode, cluster, plan a
// round, fine-tune) is a job on the JobRunner; answers are committed on the UI thread (a few
// milliseconds) so none is ever lost. While a job runs, steps that would change the session are
// refused with a message instead of racing it.
#include <QObject>
#include <QString>

#include <functional>
#include <memory>

#include "corral/core/aspect_clustering.h"
#include "corral/core/dataset.h"
#include "corral/core/interactive_session.h"
#include "query_view.h"

namespace corral::ui {

class JobRunner;

class SessionController : public QObject {
    Q_OBJECT
public:
    explicit SessionController(JobRunner* runner, QObject* parent = nullptr);
    ~SessionController() override;

    void create_project(const QString& folder, const SessionSettings& settings);
    void open_project(const QString& folder);
    void close_project();

    bool has_session() const { return session_ != nullptr; }
    InteractiveSession* session() const { return session_.get(); }
    // For jobs that read the session outside the controller (the map): keeps it alive while they run.
    std::shared_ptr<InteractiveSession> shared_session() const { return session_; }
    JobRunner* runner() const { return runner_; }
    std::shared_ptr<const Dataset> dataset() const;
    bool busy() const { return active_job_ != 0; }
    QString project_folder() const { return folder_; }

    // Plans the next round on a worker thread; query_changed follows.
    void start_round();
    void answer(QueryAnswerKind kind, int cluster);
    void undo();
    // Fine-tunes with every answer so far; a new clustering follows (clustering_changed).
    void fine_tune();
    // Makes another stored clustering current (a job: the head is refitted to it).
    void switch_clustering(qint64 clustering_id);
    // Clusters the images by one aspect (Multi-Sub) on a worker thread, stores the result under
    // the request's name and makes it current (clustering_changed follows, or error_occurred).
    void create_aspect_clustering(const AspectClusteringRequest& request);
    void rename_clustering(qint64 clustering_id, const QString& name);
    void move_images(const std::vector<qint64>& items, int cluster);
    void rename_cluster(int cluster, const QString& name);
    // Fine-tune automatically when a round is complete (default on).
    void set_auto_fine_tune(bool enabled) { auto_fine_tune_ = enabled; }

    // The current query as the view shows it, or nullopt when there is none.
    std::optional<QueryCard> current_card() const;

Q_SIGNALS:
    // A dataset is known (images can be shown) before the session is ready.
    void preview_ready(std::shared_ptr<const corral::Dataset> dataset);
    void session_opened();
    void session_closed();
    void clustering_changed();
    void query_changed();
    void status_message(const QString& message);
    void error_occurred(const QString& title, const QString& message);
    // A fine-tune was adopted: what changed (before/after scores with ground truth, images that
    // moved, the round that closed), the answers it learned from and those it had to leave out.
    void training_adopted(const corral::ClusteringChange& change, qint64 answers_used, qint64 answers_left_out);

private:
    void adopt_session(std::shared_ptr<InteractiveSession> session, const QString& folder);
    void open_with(const QString& title, const QString& folder,
                   std::function<Expected<std::unique_ptr<InteractiveSession>>(const JobContext&)> make);
    bool refuse_while_busy(const QString& what);
    void after_answer();

    JobRunner* runner_;
    // Shared with the job working on it, so a job never outlives the session it uses.
    std::shared_ptr<InteractiveSession> session_;
    QString folder_;
    int active_job_ = 0;
    bool auto_fine_tune_ = true;
    qint64 query_shown_at_ms_ = 0;
};

}  // namespace corral::ui
