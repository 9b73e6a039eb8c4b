#pragma once
// Runs core jobs on two worker threads. Progress and completion are delivered on the UI thread
// (in the order they happened); a completion whose receiver has been destroyed is dropped. The
// UI thread never waits (except wait_for_all at shutdown).
#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QString>

#include <functional>
#include <memory>
#include <optional>
#include <stop_token>

#include "corral/core/expected.h"
#include "corral/core/job.h"
#include "corral/core/progress_estimate.h"

namespace corral::ui {

class WorkerPool;

class JobRunner : public QObject {
    Q_OBJECT
public:
    explicit JobRunner(QObject* parent = nullptr);
    ~JobRunner() override;

    // Starts `work` on the pool and returns the job's id. `done` runs on the UI thread when the
    // work has returned (and been destroyed on the worker, with what it captured), unless
    // `receiver` was destroyed meanwhile; job_finished follows it.
    int start(const QString& title, std::function<void(const JobContext&)> work, QObject* receiver,
              std::function<void()> done);

    // Typed convenience: the result of `work` is handed to `done`. Exceptions thrown by `work`
    // become an internal error rather than reaching the event loop.
    template <typename T>
    int run(const QString& title, std::function<Expected<T>(const JobContext&)> work, QObject* receiver,
            std::function<void(Expected<T>)> done) {
        auto result = std::make_shared<std::optional<Expected<T>>>();
        return start(
            title,
            [work = std::move(work), result](const JobContext& job) {
                try {
                    result->emplace(work(job));
                } catch (const std::exception& error) {
                    result->emplace(make_error(ErrorCode::internal, error.what()));
                }
            },
            receiver, [done = std::move(done), result] { done(std::move(**result)); });
    }

    void cancel(int id);
    void cancel_all();
    bool busy() const { return !jobs_.isEmpty(); }
    int running_count() const { return static_cast<int>(jobs_.size()); }
    // Blocks until every job has returned; only for shutdown and tests.
    void wait_for_all();

Q_SIGNALS:
    void job_started(int id, const QString& title);
    // remaining_seconds < 0 while there is not yet enough progress to estimate it
    // (RemainingTimeEstimator: a smoothed recent rate, steady within 2x after the first 10 %).
    void job_progress(int id, double fraction, const QString& message, double remaining_seconds);
    void job_finished(int id);

private:
    struct RunningJob {
        QString title;
        std::stop_source stop;
        QElapsedTimer clock;
        qint64 last_report_ms = -1000;
        RemainingTimeEstimator estimate;
    };
    void on_progress(int id, double fraction, const QString& message);
    void on_finished(int id);

    std::unique_ptr<WorkerPool> pool_;
    QHash<int, std::shared_ptr<RunningJob>> jobs_;
    int next_id_ = 1;
};

}  // namespace corral::ui
